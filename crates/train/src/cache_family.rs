//! The family section of a cache record ([`crate::cache`]): the targets of the heads beyond
//! WikiSQL's sketch ([`FamilyLabels`]).
//!
//! Format (little-endian; `NONE16` = 0xFFFF, `NONE8` = 0xFF stand for an absent value):
//! ```text
//! n_items u8 | per item: col u16, agg u8
//! | flags u8 (1: COUNT(*) selected, 2: DISTINCT, 4: OR)
//! | group_by u16 (NONE16: none)
//! | having u8 (0: none, 1: present, then key u8 | col u16 (NONE16: COUNT(*)) | op u8
//!             | has_span u8 | start u16 | end u16)
//! | order class u8 (0: none; else then key u8 (NONE8: none) | col u16 (NONE16: none))
//! | limit u8 (0: none, 1: k = 1 unsaid, 2: at a piece, then piece u16, 3: not found)
//! ```

use crate::cache::{u16_of, Payload};
use crate::family_labels::{FamilyLabels, HavingLabel, LimitLabel, OrderLabel};
use anyhow::{bail, ensure, Context, Result};

const NONE16: usize = 0xFFFF;
const NONE8: usize = 0xFF;

fn opt16(v: Option<usize>, what: &str) -> Result<[u8; 2]> {
    match v {
        Some(v) => {
            ensure!(v < NONE16, "{what} {v} too large");
            u16_of(v, what)
        }
        None => Ok((NONE16 as u16).to_le_bytes()),
    }
}

fn byte(v: usize, what: &str) -> Result<u8> {
    u8::try_from(v).with_context(|| format!("{what} {v} does not fit a byte"))
}

pub(crate) fn encode(f: &FamilyLabels, out: &mut Vec<u8>) -> Result<()> {
    out.push(byte(f.items.len(), "item count")?);
    for &(col, agg) in &f.items {
        out.extend_from_slice(&u16_of(col, "item column")?);
        out.push(byte(agg, "item aggregate")?);
    }
    out.push(u8::from(f.count_rows) | u8::from(f.distinct) << 1 | u8::from(f.or) << 2);
    out.extend_from_slice(&opt16(f.group_by, "group column")?);
    match &f.having {
        None => out.push(0),
        Some(h) => {
            out.push(1);
            out.push(byte(h.key, "having key")?);
            out.extend_from_slice(&opt16(h.col, "having column")?);
            out.push(byte(h.op, "having operator")?);
            let (has, (s, e)) = h.span.map_or((0, (0, 0)), |span| (1, span));
            out.push(has);
            out.extend_from_slice(&u16_of(s, "having span")?);
            out.extend_from_slice(&u16_of(e, "having span")?);
        }
    }
    match &f.order {
        None => out.push(0),
        Some(o) => {
            ensure!((1..=4).contains(&o.class), "order class {}", o.class);
            out.push(byte(o.class, "order class")?);
            out.push(match o.key {
                Some(k) => byte(k, "order key")?,
                None => NONE8 as u8,
            });
            out.extend_from_slice(&opt16(o.col, "order column")?);
        }
    }
    match f.limit {
        LimitLabel::None => out.push(0),
        LimitLabel::Unspoken => out.push(1),
        LimitLabel::At(piece) => {
            out.push(2);
            out.extend_from_slice(&u16_of(piece, "limit piece")?);
        }
        LimitLabel::NotFound => out.push(3),
    }
    Ok(())
}

pub(crate) fn decode(p: &mut Payload<'_>) -> Result<FamilyLabels> {
    let opt = |v: usize| (v != NONE16).then_some(v);
    let n_items = p.u8()?;
    let items = (0..n_items)
        .map(|_| Ok((p.u16()?, p.u8()?)))
        .collect::<Result<Vec<_>>>()?;
    let flags = p.u8()?;
    ensure!(flags < 8, "bad family flags {flags}");
    let group_by = opt(p.u16()?);
    let having = match p.u8()? {
        0 => None,
        1 => {
            let (key, col, op) = (p.u8()?, opt(p.u16()?), p.u8()?);
            let has = p.u8()?;
            let span = (p.u16()?, p.u16()?);
            Some(HavingLabel {
                key,
                col,
                op,
                span: match has {
                    0 => None,
                    1 => Some(span),
                    _ => bail!("bad having span flag {has}"),
                },
            })
        }
        other => bail!("bad having flag {other}"),
    };
    let order = match p.u8()? {
        0 => None,
        class @ 1..=4 => {
            let key = p.u8()?;
            Some(OrderLabel {
                class,
                key: (key != NONE8).then_some(key),
                col: opt(p.u16()?),
            })
        }
        other => bail!("bad order class {other}"),
    };
    let limit = match p.u8()? {
        0 => LimitLabel::None,
        1 => LimitLabel::Unspoken,
        2 => LimitLabel::At(p.u16()?),
        3 => LimitLabel::NotFound,
        other => bail!("bad limit kind {other}"),
    };
    Ok(FamilyLabels {
        items,
        count_rows: flags & 1 != 0,
        distinct: flags & 2 != 0,
        or: flags & 4 != 0,
        group_by,
        having,
        order,
        limit,
    })
}
