use super::*;
use crate::csv::parse_csv;

/// Hands out its bytes `step` at a time, as a network body arrives.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn both(text: &[u8], limits: &TableLimits) -> (Result<Table>, Vec<Result<Table>>) {
    let whole = parse_csv("t", "t.csv", text, limits);
    let read = [1, 2, 3, 7, 8192]
        .iter()
        .map(|&step| read_csv("t", "t.csv", Trickle { bytes: text, step }, limits))
        .collect();
    (whole, read)
}

#[test]
fn the_same_table_as_parse_csv_whatever_the_chunks() {
    let cases: &[&str] = &[
        "City,Population,Note\r\nPorto,\"1,300\",\"say \"\"hi\"\"\"\nFaro,64000,\"two\nlines\"\n\nÉvora,,x\n",
        "\u{feff}a;b\n1;x\n2,5;y\n",
        "a\tb\n1\tx",
        "n,m,t\n5,5.0,1\n-0, 7 ,x\n0.25,1e3,2\n007,,3\n",
        "a,b\n\"x\"y,2\n\"\",\"\"\"\"\n",
        "only,header\n",
        "a,b\r\n1,2\r\n3,4",
        "a,b\n1,\"2\"\n",
    ];
    let latin: &[&[u8]] = &[
        b"Caf\xe9,Price\n\x93Cr\xe8me br\xfbl\xe9e\x94,\x80 4\n",
        b"n,t\n1,x\n2,\xe9\n",
    ];
    let mixed = [b"a,b\n1,\xc3\xa9\n2,\xe9\n".as_slice()];
    let cases = cases
        .iter()
        .map(|t| t.as_bytes())
        .chain(latin.iter().copied())
        .chain(mixed);
    let limits = TableLimits::default();
    for text in cases {
        let (whole, read) = both(text, &limits);
        let whole = whole.unwrap_or_else(|e| panic!("{text:?}: {e}"));
        for r in read {
            let r = r.unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(r.header, whole.header, "{text:?}");
            assert_eq!(r.types, whole.types, "{text:?}");
            assert_eq!(r.rows, whole.rows, "{text:?}");
        }
    }
}

#[test]
fn the_same_errors_as_parse_csv() {
    let limits = TableLimits::default();
    let tight = TableLimits {
        max_rows: 2,
        max_columns: 3,
        max_cell_chars: 5,
    };
    let cases: &[(&[u8], &TableLimits)] = &[
        (b"a,b\n1,2\n3\n", &limits),
        (b"a,b\n1,2\n\x81,3\n", &limits),
        (b"a,b\n1,2\n\"x\ny\x81\",3\n", &limits),
        (b"a,b\n\"1,2\n", &limits),
        (b"a,b\n1,\"2\n3,4\n", &limits),
        (b"", &limits),
        (b" , \n1,2\n", &limits),
        (b"a,b\n1,2\n3,4\n5,6\n", &tight),
        (b"a,b,c,d\n", &tight),
        (b"a,b\n123456,1\n", &tight),
        (b"a,b\n\"1\n2\",\"x\n123456\"\n", &tight),
    ];
    for (text, limits) in cases {
        let (whole, read) = both(text, limits);
        let whole = whole.err().unwrap().to_string();
        for r in read {
            let err = r.err().unwrap().to_string();
            assert_eq!(err, whole, "{:?}", String::from_utf8_lossy(text));
        }
    }
}

/// Endless rows after a broken one: reading stops at the broken row.
struct Endless {
    start: Cursor<&'static [u8]>,
    served: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.start.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        self.served += buf.len();
        assert!(self.served < 1 << 20, "read far past the broken row");
        let row = b"1,2\n";
        for (i, b) in buf.iter_mut().enumerate() {
            *b = row[i % row.len()];
        }
        Ok(buf.len() - buf.len() % row.len())
    }
}

#[test]
fn reading_stops_at_the_first_problem() {
    let input = Endless {
        start: Cursor::new(b"a,b\n1,2\n3\n"),
        served: 0,
    };
    let err = read_csv("t", "t.csv", input, &TableLimits::default()).unwrap_err();
    assert!(err.to_string().starts_with("t.csv:3: 1 fields"), "{err}");
}
