//! Text similarity between an episode and a document: words are folded the way the full-text
//! index folds them (lower case, diacritics off, split at anything not a letter or digit), common
//! English words are dropped, and each side becomes a TF-IDF vector compared by cosine. The
//! document frequencies come from the full-text index itself, so nothing is kept twice.

/// Words too common to say anything about what a text is about.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "another",
    "any",
    "anything",
    "are",
    "aren",
    "around",
    "as",
    "at",
    "back",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "came",
    "can",
    "come",
    "could",
    "did",
    "didn",
    "do",
    "does",
    "doesn",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "few",
    "first",
    "for",
    "from",
    "further",
    "get",
    "going",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isn",
    "it",
    "its",
    "itself",
    "just",
    "know",
    "last",
    "let",
    "like",
    "lot",
    "made",
    "make",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "new",
    "next",
    "no",
    "nor",
    "not",
    "nothing",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "people",
    "put",
    "really",
    "s",
    "said",
    "same",
    "say",
    "says",
    "see",
    "she",
    "should",
    "since",
    "so",
    "some",
    "something",
    "still",
    "such",
    "t",
    "take",
    "tell",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "three",
    "through",
    "time",
    "to",
    "today",
    "told",
    "too",
    "two",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "want",
    "was",
    "wasn",
    "way",
    "we",
    "week",
    "well",
    "went",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "without",
    "won",
    "would",
    "year",
    "years",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
];

/// The length of the longest stop word ("themselves"): longer words skip the search.
const MAX_STOPWORD_LEN: usize = 10;

fn is_stopword(w: &str) -> bool {
    STOPWORDS.binary_search(&w).is_ok()
}

/// Folds one character the way the index's `remove_diacritics` does for the common Latin letters.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        c => c,
    }
}

/// The words of a text as the full-text index sees them, in order, stop words included.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, |w| out.push(w.to_owned()));
    out
}

/// Calls `f` with each of [`words`] in turn, without allocating a string per word (ASCII, most
/// of any text, takes a short path): the linker tokenises every candidate document with it.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut cur = String::with_capacity(32);
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                cur.push(c.to_ascii_lowercase());
                continue;
            }
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                cur.push(fold(l));
            }
            continue;
        }
        if !cur.is_empty() {
            f(&cur);
            cur.clear();
        }
    }
    if !cur.is_empty() {
        f(&cur);
    }
}

/// Whether a word (as [`words`] gives it) can carry meaning: not a stop word, not one or two
/// letters, not a bare number, and not absurdly long (hostile input).
fn is_content_word(w: &str) -> bool {
    w.len() >= 3
        && w.len() <= 40
        && !w.bytes().all(|b| b.is_ascii_digit())
        && !(w.len() <= MAX_STOPWORD_LEN && is_stopword(w))
}

/// Words that can carry meaning: not stop words, not one or two letters, not bare numbers, and
/// not absurdly long (hostile input).
pub fn content_words(text: &str) -> impl Iterator<Item = String> {
    words(text).into_iter().filter(|w| is_content_word(w))
}

/// Calls `f` with each of [`content_words`] in turn, without allocating a string per word: the
/// linker tokenises every candidate document, so this is its hottest loop.
pub fn for_each_content_word(text: &str, mut f: impl FnMut(&str)) {
    for_each_word(text, |w| {
        if is_content_word(w) {
            f(w);
        }
    });
}

/// Inverse document frequency: how much a word that `df` of `n` documents contain says.
pub fn idf(df: u64, n: u64) -> f64 {
    ((n as f64 + 1.0) / (df as f64 + 0.5)).ln().max(0.0)
}

/// A sparse TF-IDF vector, unit length, sorted by term for merging.
#[derive(Debug, Clone, Default)]
pub struct Vector {
    /// (term, weight), sorted by term.
    pub entries: Vec<(u32, f32)>,
}

impl Vector {
    /// Builds a unit vector from term ids and their raw weights (sublinear tf × idf).
    pub fn from_weights(mut entries: Vec<(u32, f32)>) -> Self {
        entries.retain(|(_, w)| *w > 0.0 && w.is_finite());
        entries.sort_unstable_by_key(|(t, _)| *t);
        let norm = entries.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for e in &mut entries {
                e.1 /= norm;
            }
        }
        Vector { entries }
    }

    /// Cosine similarity of two unit vectors, and the terms that contributed most.
    pub fn cosine(&self, other: &Vector) -> (f32, Vec<(u32, f32)>) {
        let (a, b) = (&self.entries, &other.entries);
        let (mut i, mut j, mut sum) = (0, 0, 0.0f32);
        let mut shared = Vec::new();
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let p = a[i].1 * b[j].1;
                    sum += p;
                    shared.push((a[i].0, p));
                    i += 1;
                    j += 1;
                }
            }
        }
        shared.sort_unstable_by(|x, y| y.1.total_cmp(&x.1));
        (sum.clamp(0.0, 1.0), shared)
    }
}

/// Sublinear term frequency: the tenth mention of a word says less than the first.
pub fn tf(count: u32) -> f32 {
    if count == 0 {
        0.0
    } else {
        1.0 + (count as f32).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOPWORDS, "keep STOPWORDS sorted and unique");
        assert_eq!(STOPWORDS.iter().map(|w| w.len()).max(), Some(MAX_STOPWORD_LEN));
    }

    #[test]
    fn words_fold_like_the_index() {
        assert_eq!(words("In Dad's Shoes — Café!"), ["in", "dad", "s", "shoes", "cafe"]);
        let cw: Vec<String> = content_words("The adoption of 2 children in 2021 by the Court").collect();
        assert_eq!(cw, ["adoption", "children", "court"]);
    }

    #[test]
    fn streaming_words_match_the_collected_ones() {
        let texts = [
            "The adoption of 2 children in 2021 by the Court",
            "Ça s'est passé à Zürich — ÉCOLE «nouvelle» ſtraße İstanbul ΣΟΦΊΑ 東京 x1y2z3 themselves",
            "",
            "   ,,, ",
            "a-b-c aaa\u{301}bbb ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOP 0123 12ab",
        ];
        for t in texts {
            let mut streamed = Vec::new();
            for_each_content_word(t, |w| streamed.push(w.to_owned()));
            assert_eq!(streamed, content_words(t).collect::<Vec<_>>(), "{t}");
        }
    }

    #[test]
    fn cosine_of_identical_and_disjoint() {
        let a = Vector::from_weights(vec![(1, 2.0), (2, 1.0)]);
        let b = Vector::from_weights(vec![(3, 1.0)]);
        assert!((a.cosine(&a).0 - 1.0).abs() < 1e-5);
        assert_eq!(a.cosine(&b).0, 0.0);
        assert_eq!(Vector::default().cosine(&a).0, 0.0);
    }
}
