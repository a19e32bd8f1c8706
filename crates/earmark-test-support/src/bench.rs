//! The measuring and the table every benchmark prints, so each bench says its figures the same
//! way: medians (never means, which one slow run skews), times in the unit a person reads, peak
//! memory from the kernel's own count, and a Markdown table that pastes into a note.

/// The middle of the runs (the mean of the two middle ones for an even count); NaN for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Milliseconds as a person reads them: "1.25 s", "48 ms", "0.37 ms".
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// This process's peak resident memory in KiB (`VmHWM`), 0 where /proc cannot say.
pub fn peak_kib() -> u64 {
    status_kib("VmHWM:")
}

/// This process's resident memory now in KiB (`VmRSS`), 0 where /proc cannot say.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A Markdown table of results. The default columns are the house shape: what was measured, its
/// median, the goal, the ratio against a peer measured in the same run, and whether the goal
/// was met. The second column is right-aligned so figures line up.
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Default for Table {
    fn default() -> Self {
        Table::new(&["measure", "median", "goal", "ratio/peer", "met?"])
    }
}

impl Table {
    /// A table with these column headings.
    pub fn new(head: &[&str]) -> Table {
        Table {
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// A row in the house shape; `met` is `None` where there is no goal to meet.
    pub fn row(&mut self, measure: &str, median: String, goal: &str, ratio: String, met: Option<bool>) {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        self.push(vec![measure.to_owned(), median, goal.to_owned(), ratio, met.to_owned()]);
    }

    /// A row of any cells; short rows are padded, so a table never panics on a missing figure.
    pub fn push(&mut self, mut cells: Vec<String>) {
        cells.resize(self.head.len().max(cells.len()), String::new());
        self.rows.push(cells);
    }

    /// The table as Markdown, one line per row.
    pub fn render(&self) -> String {
        let cols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.head.len()])
            .max()
            .unwrap_or(0);
        let mut width = vec![0usize; cols];
        for r in std::iter::once(&self.head).chain(&self.rows) {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for (i, w) in width.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                let pad = " ".repeat(w - c.chars().count());
                if i == 1 {
                    out.push_str(&format!(" {pad}{c} |"));
                } else {
                    out.push_str(&format!(" {c}{pad} |"));
                }
            }
            out
        };
        let mut out = vec![line(&self.head)];
        out.push(format!(
            "|{}|",
            width.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|")
        ));
        out.extend(self.rows.iter().map(|r| line(r)));
        out.join("\n")
    }

    /// Prints the table after a blank line.
    pub fn print(&self) {
        println!("\n{}", self.render());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn times_read_in_their_unit() {
        assert_eq!(ms(1250.0), "1.25 s");
        assert_eq!(ms(48.2), "48 ms");
        assert_eq!(ms(0.371), "0.37 ms");
    }

    #[test]
    fn a_table_lines_up_its_columns() {
        let mut t = Table::default();
        t.row("open", ms(4.0), "< 50 ms", "0.5x".into(), Some(true));
        t.row("a longer measure", ms(1500.0), "", "-".into(), None);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines.iter().all(|l| l.chars().count() == lines[0].chars().count()),
            "{text}"
        );
        assert!(lines[2].contains("| 4.00 ms |"), "{text}");
        assert!(lines[3].contains("|  1.50 s |"), "{text}");
        assert!(lines[3].ends_with("| -    |"), "{text}");
    }
}
