//! Names of people (and of named things: courts, charities, campaigns) in running text: runs of
//! two to four capitalised words. Crude on purpose; the linker only uses names that both sides
//! contain and that few documents contain, which filters out most of what this gets wrong.

/// Capitalised words that start sentences or headings rather than names.
const NOT_NAME_START: &[&str] = &[
    "A", "After", "All", "An", "And", "As", "At", "But", "By", "During", "Episode", "For", "From", "He", "Her", "His",
    "How", "I", "If", "In", "Is", "It", "Its", "Last", "Listen", "Mr", "Mrs", "Ms", "Dr", "My", "No", "Now", "Of",
    "On", "Our", "She", "So", "Some", "That", "The", "Their", "There", "These", "They", "This", "To", "Today", "We",
    "What", "When", "Where", "Which", "While", "Who", "Why", "With", "You", "Your",
];

fn is_capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    // "McKenzie" and "O'Brien" count; "UK" and "CAFCASS" (all capitals) do not.
    first.is_uppercase()
        && word.chars().any(|c| c.is_lowercase())
        && word
            .chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
}

/// Runs of 2–4 capitalised words in `text`, in order of first appearance, without repeats.
pub fn names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, out: &mut Vec<String>| {
        while run.first().is_some_and(|w| NOT_NAME_START.contains(w)) {
            run.remove(0);
        }
        if (2..=4).contains(&run.len()) {
            let name = run.join(" ");
            if !out.contains(&name) {
                out.push(name);
            }
        }
        run.clear();
    };
    for token in text.split_whitespace() {
        // Punctuation at the end of a word ends the run after it; possessives are cut off.
        let trimmed = token.trim_start_matches(|c: char| !c.is_alphanumeric());
        let core = trimmed.trim_end_matches(|c: char| !c.is_alphanumeric());
        let core = core
            .strip_suffix("'s")
            .or_else(|| core.strip_suffix("’s"))
            .unwrap_or(core);
        let breaks_after = core.len() < trimmed.len();
        let breaks_before = trimmed.len() < token.len();
        if breaks_before && !run.is_empty() {
            flush(&mut run, &mut out);
        }
        if is_capitalised(core) && core.len() <= 30 {
            run.push(core);
            if run.len() > 4 {
                run.clear();
            }
        } else {
            flush(&mut run, &mut out);
        }
        if breaks_after {
            flush(&mut run, &mut out);
        }
        if out.len() >= 64 {
            break;
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_people_and_skips_sentence_starts() {
        let t = "This week Jane Okafor joins us. The Family Court judge, Sir Peter Hale, spoke to Anna-Marie O'Brien's team at CAFCASS in the UK.";
        let n = names(t);
        assert!(n.contains(&"Jane Okafor".to_owned()), "{n:?}");
        assert!(n.contains(&"Family Court".to_owned()), "{n:?}");
        assert!(n.contains(&"Sir Peter Hale".to_owned()), "{n:?}");
        assert!(n.contains(&"Anna-Marie O'Brien".to_owned()), "{n:?}");
        assert!(!n.iter().any(|x| x.contains("This") || x.contains("CAFCASS")), "{n:?}");
    }

    #[test]
    fn hostile_text_is_bounded() {
        let long = "Aa Bb ".repeat(10_000);
        assert!(names(&long).len() <= 64);
        assert!(names("").is_empty());
        assert!(names("'s ’s - -- ...").is_empty());
    }
}
