//! Human output that is safe for a terminal. Titles, notes and error messages come from feeds and
//! pages written by strangers; an ESC or CSI sequence in them would clear the screen, retitle the
//! window or worse when printed raw. Everything the CLI prints for a person passes through
//! [`clean`]. JSON output is untouched: its strings are escaped by the serializer, and it must stay
//! exact for the scripts that read it.

use std::borrow::Cow;
use std::fmt;

/// `text` without control characters (C0 but tab and newline, DEL, C1) and without the Unicode
/// marks that reorder what the eye sees (bidirectional overrides and isolates).
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
}

fn is_unsafe(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// Prints a line to stdout after [`clean`]; what `say!` expands to.
pub fn say(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    println!("{}", clean(&text));
}

/// Prints a line to stderr after [`clean`]; what `say_err!` expands to.
pub fn say_err(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    eprintln!("{}", clean(&text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_removed_and_text_kept() {
        assert_eq!(clean("Plain title"), Cow::Borrowed("Plain title"));
        assert_eq!(clean("a\u{1b}[2Jb\u{1b}]0;pwned\u{7}c"), "a[2Jb]0;pwnedc");
        assert_eq!(clean("x\u{9b}31my\r\u{8}"), "x31my");
        assert_eq!(clean("evil\u{202e}fdp.exe"), "evilfdp.exe");
        assert_eq!(clean("line one\n\tline two"), "line one\n\tline two");
        assert_eq!(clean("Café – naïve"), "Café – naïve");
    }
}
