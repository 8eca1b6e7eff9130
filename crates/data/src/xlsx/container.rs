//! What kind of file a workbook upload is, before calamine parses it: an .xlsx zip archive
//! whose entries unzip within a cap, or else a one-line error saying what it is instead.

use anyhow::{bail, Result};
use std::io::Cursor;

/// An OLE compound file (Excel 97-2003 .xls, and also every password-protected workbook:
/// Office encrypts an .xlsx into an OLE container).
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// An error unless `bytes` are an .xlsx workbook (a zip archive holding `xl/workbook.xml`)
/// whose entries declare at most `max_unzipped_bytes` together.
///
/// The declared sizes are enough: the `zip` crate fails a read that inflates past its entry's
/// declared size, so an archive that lies about them is an error, not a bomb.
pub(super) fn check_workbook(source: &str, bytes: &[u8], max_unzipped_bytes: u64) -> Result<()> {
    if bytes.starts_with(&OLE_MAGIC) {
        if holds_utf16(bytes, "EncryptedPackage") {
            bail!(
                "{source}: a password-protected (encrypted) workbook: remove the password in \
                 Excel (File > Info > Protect Workbook) and save it again"
            );
        }
        bail!(
            "{source}: an OLE container (an Excel 97-2003 .xls workbook, or an encrypted one), \
             not an .xlsx workbook: save it as .xlsx without a password"
        );
    }
    if !bytes.starts_with(b"PK") {
        bail!(
            "{source}: not an .xlsx workbook (those are zip archives; pass CSV files with --csv)"
        );
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("{source}: a damaged .xlsx workbook: {e}"))?;
    if zip.index_for_name("mimetype").is_some() || zip.index_for_name("content.xml").is_some() {
        bail!(
            "{source}: an OpenDocument spreadsheet (.ods), which is not read: save it as .xlsx \
             or CSV"
        );
    }
    if zip.index_for_name("xl/workbook.xml").is_none() {
        if zip.index_for_name("xl/workbook.bin").is_some() {
            bail!(
                "{source}: an Excel binary workbook (.xlsb), which is not read: save it as .xlsx"
            );
        }
        bail!("{source}: a zip archive without xl/workbook.xml, not an .xlsx workbook");
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| anyhow::anyhow!("{source}: a damaged .xlsx workbook: {e}"))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > max_unzipped_bytes {
        bail!(
            "{source}: unzips to {declared} bytes: at most {max_unzipped_bytes} are accepted \
             (save a smaller sheet, or the sheet as CSV)"
        );
    }
    Ok(())
}

/// Whether `bytes` hold `name` in UTF-16LE, as an OLE directory stores stream names.
fn holds_utf16(bytes: &[u8], name: &str) -> bool {
    let needle: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn err(bytes: &[u8], cap: u64) -> String {
        check_workbook("b.xlsx", bytes, cap)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn other_containers_are_named() {
        let ods = zip_with(&[(
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        )]);
        assert!(err(&ods, 1 << 20).contains("OpenDocument"));
        let xlsb = zip_with(&[("xl/workbook.bin", b"x")]);
        assert!(err(&xlsb, 1 << 20).contains(".xlsb"));
        let other = zip_with(&[("a.txt", b"x")]);
        assert!(err(&other, 1 << 20).contains("without xl/workbook.xml"));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0; 64]);
        assert!(err(&ole, 1 << 20).contains(".xls workbook"));
        assert!(err(b"a,b\n1,2\n", 1 << 20).contains("not an .xlsx workbook"));
        assert!(err(b"PK\x03\x04garbage", 1 << 20).contains("damaged"));
    }

    #[test]
    fn declared_sizes_are_capped() {
        let zeros = vec![0u8; 100_000];
        let book = zip_with(&[("xl/workbook.xml", b"<w/>"), ("xl/s.xml", &zeros)]);
        assert!(book.len() < 2_000, "{}", book.len());
        assert!(check_workbook("b.xlsx", &book, 200_000).is_ok());
        assert!(err(&book, 50_000).contains("unzips to 100004 bytes: at most 50000"));
    }
}
