//! How answers are printed: aligned fields for people (bold labels on a
//! terminal), or the API's JSON answer with `--json`.

use std::io::IsTerminal as _;

use serde_json::Value;

/// The output mode of this run.
pub struct Output {
    json: bool,
    color: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        let color =
            !json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Output { json, color }
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// With `--json`, prints the answer as received; otherwise nothing.
    pub fn raw(&self, body: &Value) {
        if self.json {
            println!("{body}");
        }
    }

    /// Prints an answer: its JSON with `--json`, else the given fields, aligned.
    pub fn answer(&self, body: &Value, fields: &[(&str, String)]) {
        if self.json {
            return self.raw(body);
        }
        let width = fields
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        for (label, value) in fields {
            if self.color {
                println!("\x1b[1m{label:<width$}\x1b[0m  {value}");
            } else {
                println!("{label:<width$}  {value}");
            }
        }
    }

    /// Prints rows under a header, columns aligned (people only).
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) {
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].len())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let head = line(header.iter().map(|h| h.to_string()).collect());
        if self.color {
            println!("\x1b[1m{head}\x1b[0m");
        } else {
            println!("{head}");
        }
        for row in rows {
            println!("{}", line(row.clone()));
        }
    }
}

/// `yes`/`no` for people.
pub fn yes_no(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

/// An optional value, or `-`.
pub fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}
