//! The display form of a statement: placeholders replaced by SQL literals, for people to read and
//! copy into their own tools. Execution uses the bound form ([`super::SqlStatement`] as it is);
//! both give the same rows, since a literal reads back as the bound value.

use super::dialect::Dialect;
use super::{SqlParam, SqlStatement};

/// The statement with every placeholder (`?N`, or `$N` in PostgreSQL) outside quoted identifiers
/// and strings replaced by its value as a SQL literal ([`literal`]). A placeholder without a bound
/// value is left as it is.
pub fn display(stmt: &SqlStatement) -> String {
    let mark = stmt.dialect.placeholder_mark();
    let chars: Vec<char> = stmt.sql.chars().collect();
    let mut out = String::with_capacity(stmt.sql.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            // Quoted identifier or string: copied verbatim up to its closing quote (doubled
            // quotes inside stay inside), so a header like `a?1` is never mistaken for a placeholder.
            '"' | '\'' => {
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if c == mark => {
                let digits_end = (i + 1..chars.len())
                    .find(|&j| !chars[j].is_ascii_digit())
                    .unwrap_or(chars.len());
                let digits: String = chars[i + 1..digits_end].iter().collect();
                let param = digits
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|n| stmt.params.get(n));
                match param {
                    Some(p) => out.push_str(&literal(p, stmt.dialect)),
                    None => out.extend(&chars[i..digits_end]),
                }
                i = digits_end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// One bound value as a SQL literal that the engine reads back as the same value: text as `'…'`
/// with `'` doubled (in SQLite NUL characters as `char(0)`), numbers as numbers, NULL as `NULL`.
pub fn literal(param: &SqlParam, dialect: Dialect) -> String {
    match param {
        SqlParam::Null => "NULL".to_string(),
        SqlParam::Real(f) if f.is_nan() => "NULL".to_string(),
        // PostgreSQL reads these inside the CAST the assembler wraps every number in.
        SqlParam::Real(f) if f.is_infinite() && dialect == Dialect::Postgres => if *f > 0.0 {
            "'Infinity'"
        } else {
            "'-Infinity'"
        }
        .to_string(),
        SqlParam::Real(f) if f.is_infinite() => {
            if *f > 0.0 { "1e999" } else { "-1e999" }.to_string()
        }
        // `{:?}` keeps a decimal point or exponent, so SQLite reads a REAL back.
        SqlParam::Real(f) => format!("{f:?}"),
        SqlParam::Text(s) => s
            .split('\0')
            .map(|part| format!("'{}'", part.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" || char(0) || "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_literals() {
        let stmt = SqlStatement {
            sql: "SELECT \"a?1\" FROM \"t\" WHERE f(\"x\") = f(?1) AND \"y\" > ?2 AND \"z\" < ?3 AND \"w\" = ?4"
                .into(),
            params: vec![
                SqlParam::Text("'; DROP TABLE x; --".into()),
                SqlParam::Real(-2.5),
                SqlParam::Null,
                SqlParam::Real(7.0),
            ],
            dialect: Dialect::Sqlite,
        };
        assert_eq!(
            display(&stmt),
            "SELECT \"a?1\" FROM \"t\" WHERE f(\"x\") = f('''; DROP TABLE x; --') AND \"y\" > -2.5 \
             AND \"z\" < NULL AND \"w\" = 7.0"
        );
    }

    #[test]
    fn postgres_placeholders_become_literals() {
        let stmt = SqlStatement {
            sql: "SELECT \"$1\" FROM \"t\" WHERE lower(\"x\") = lower($1) AND \"y\" > CAST($2 AS double precision) AND \"z\" = $10".into(),
            params: vec![SqlParam::Text("it's".into()), SqlParam::Real(f64::INFINITY)],
            dialect: Dialect::Postgres,
        };
        assert_eq!(
            display(&stmt),
            "SELECT \"$1\" FROM \"t\" WHERE lower(\"x\") = lower('it''s') \
             AND \"y\" > CAST('Infinity' AS double precision) AND \"z\" = $10"
        );
    }

    #[test]
    fn literals_read_back_as_the_same_values() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for p in [
            SqlParam::Text("it's \"q\" a\0b ?1".into()),
            SqlParam::Real(1e-7),
            SqlParam::Real(1e300),
            SqlParam::Real(-0.1),
            SqlParam::Real(42.0),
        ] {
            let sql = format!("SELECT {}", literal(&p, Dialect::Sqlite));
            let v: rusqlite::types::Value = conn.query_row(&sql, [], |r| r.get(0)).unwrap();
            match (&p, v) {
                (SqlParam::Text(s), rusqlite::types::Value::Text(t)) => assert_eq!(s, &t),
                (SqlParam::Real(f), rusqlite::types::Value::Real(g)) => assert_eq!(*f, g),
                (p, v) => panic!("{p:?} read back as {v:?}"),
            }
        }
    }
}
