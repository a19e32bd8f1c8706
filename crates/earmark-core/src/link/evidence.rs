//! Hard evidence that a document is about an episode, and the reasons shown for it. Each kind of
//! evidence is found through an index (the linker's URL index, the full-text index), never by
//! reading every document, so relinking one episode stays fast in a large archive.

use super::similarity::words;

/// One piece of hard evidence, worded for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Evidence {
    /// The document embeds the episode's audio (a player, `<audio>`, `<source>`).
    EmbedsAudio,
    /// The document links to the episode's media file.
    LinksAudio,
    /// The document links to the episode's web page (or its guid, when that is a URL).
    LinksPage,
    /// The episode's show notes link to the document.
    NotesLinkHere,
    /// The document names the episode's exact title.
    NamesTitle,
}

impl Evidence {
    /// The sentence shown beside the link.
    pub fn reason(self) -> &'static str {
        match self {
            Evidence::EmbedsAudio => "embeds this episode's audio",
            Evidence::LinksAudio => "links to this episode's audio",
            Evidence::LinksPage => "links to this episode's page",
            Evidence::NotesLinkHere => "the episode's show notes link here",
            Evidence::NamesTitle => "names this episode's title",
        }
    }
}

/// The words of a title as the full-text index sees them, when the title is distinctive enough
/// that a document naming it is surely about the episode: at least three words, at least two of
/// them meaningful, and (checked by the caller) not shared with another episode.
pub fn title_phrase(title: &str) -> Option<Vec<String>> {
    let ws = words(title);
    if ws.len() < 3 || ws.len() > 40 {
        return None;
    }
    let meaningful = super::similarity::content_words(title).count();
    (meaningful >= 2).then_some(ws)
}

/// The normal form used to tell whether two episodes share a title.
pub fn title_key(title: &str) -> String {
    words(title).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinctive_titles_only() {
        assert_eq!(
            title_phrase("“Adoption Without Consent” — with Jane Okafor").map(|w| w.join(" ")),
            Some("adoption without consent with jane okafor".to_owned())
        );
        assert_eq!(title_phrase("Episode 12"), None);
        assert_eq!(title_phrase("The One With It"), None, "stop words only");
        assert_eq!(title_key("News Round-Up!"), title_key("news round up"));
    }
}
