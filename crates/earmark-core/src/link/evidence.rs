//! The kinds of evidence that a document is about an episode, each named (a code the shells can
//! count and filter by) and worded for a person.
//!
//! Hard evidence ([`Evidence`]) makes a link that is accepted automatically, so only what cannot
//! be a coincidence counts: an address of the episode, or its title when that title is
//! distinctive in this archive and stands where a person names an episode (a heading, a link, in
//! quotes, next to "episode" or "listen"). Everything softer is a [`Signal`] that feeds a
//! suggestion's score. Each kind is found through an index (the linker's URL index, the
//! full-text index), never by reading every document.

use super::similarity::{content_words, words};

/// One piece of hard evidence, worded for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Evidence {
    /// The document embeds the episode's audio (a player, `<audio>`, `<source>`).
    EmbedsAudio,
    /// The document links to the episode's media file.
    LinksAudio,
    /// The document embeds the podcast host's player of this episode (Anchor, Libsyn, YouTube…).
    EmbedsPlayer,
    /// The document embeds a player its host titled with this episode's title (oEmbed gives
    /// Spotify's and YouTube's players one), when no other episode has that title.
    PlayerTitle,
    /// The document links to this episode on the podcast host (Spotify, Apple Podcasts…).
    LinksHostPage,
    /// The document links to the episode's web page (or its guid, when that is a URL).
    LinksPage,
    /// The episode's show notes link to the document.
    NotesLinkHere,
    /// The document names the episode's distinctive title where one names an episode.
    NamesTitle,
}

impl Evidence {
    /// The sentence shown beside the link.
    pub fn reason(self) -> &'static str {
        match self {
            Evidence::EmbedsAudio => "embeds this episode's audio",
            Evidence::LinksAudio => "links to this episode's audio",
            Evidence::EmbedsPlayer => "embeds this episode's player",
            Evidence::PlayerTitle => "embeds a player titled with this episode's title",
            Evidence::LinksHostPage => "links to this episode on its podcast host",
            Evidence::LinksPage => "links to this episode's page",
            Evidence::NotesLinkHere => "the episode's show notes link here",
            Evidence::NamesTitle => "names this episode's distinctive title",
        }
    }

    /// The stable code stored with the link (`evidence` in `earmark-cli links --json`).
    pub fn code(self) -> &'static str {
        match self {
            Evidence::EmbedsAudio => "embeds_audio",
            Evidence::LinksAudio => "links_audio",
            Evidence::EmbedsPlayer => "embeds_player",
            Evidence::PlayerTitle => "player_title",
            Evidence::LinksHostPage => "links_host_page",
            Evidence::LinksPage => "links_page",
            Evidence::NotesLinkHere => "notes_link_here",
            Evidence::NamesTitle => "names_title",
        }
    }
}

/// Soft evidence: each raises a suggestion's score by its own weight, none is proof alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// The document names the episode's title, but the title is a common phrase here or stands
    /// only in passing.
    TitleMention,
    /// The blog files the document under a podcast category or tag.
    PodcastCategory,
    /// The document embeds or links an episode on a podcast host (which one the feed cannot tell).
    HostPlayer,
    /// "Episode 12" next to this episode's number.
    EpisodeNumber,
    /// A guest's full name in the document's title.
    GuestInTitle,
    /// Names that few documents contain, on both sides.
    RareNames,
    /// Published on the episode's day or in the days after, before the next episode.
    Announces,
    /// Similar wording.
    Wording,
}

impl Signal {
    /// The stable code stored with the link.
    pub fn code(self) -> &'static str {
        match self {
            Signal::TitleMention => "title_mention",
            Signal::PodcastCategory => "podcast_category",
            Signal::HostPlayer => "host_player",
            Signal::EpisodeNumber => "episode_number",
            Signal::GuestInTitle => "guest_in_title",
            Signal::RareNames => "rare_names",
            Signal::Announces => "announces",
            Signal::Wording => "wording",
        }
    }
}

/// The words of a title as the full-text index sees them, when the title could name one episode
/// at all: at least three words, at least two of them meaningful, and (checked by the caller) not
/// shared with another episode or the show. Whether it is distinctive in this archive is decided
/// by [`chance_docs`] and where it stands ([`placement`]).
pub fn title_phrase(title: &str) -> Option<Vec<String>> {
    let ws = words(title);
    if ws.len() < 3 || ws.len() > 40 {
        return None;
    }
    let meaningful = content_words(title).count();
    (meaningful >= 2).then_some(ws)
}

/// The normal form used to tell whether two episodes share a title.
pub fn title_key(title: &str) -> String {
    words(title).join(" ")
}

/// The link index's entry for a player titled with the title whose [`title_key`] is `key`: the
/// index holds it beside the URLs a document refers to, so the linker finds such players the way it
/// finds links. No normalised URL starts this way.
pub fn player_title_ref(key: &str) -> String {
    format!("player-title:{key}")
}

/// The title keys a player's title may stand for: the whole, and what stands before or after each
/// separator (":", "|", a dash), since hosts put their own name or the show's around the
/// episode's title ("Spotify Embed: …", "… | Voice of the Child"). Parts of one word are left out.
pub fn player_title_keys(title: &str) -> Vec<String> {
    let mut keys = vec![title_key(title)];
    let cuts = title
        .char_indices()
        .filter(|&(i, c)| matches!(c, ':' | '|' | '\u{2013}' | '\u{2014}') || (c == '-' && title[..i].ends_with(' ')))
        .map(|(i, c)| (i, i + c.len_utf8()));
    for (at, after) in cuts {
        for part in [&title[..at], &title[after..]] {
            let key = title_key(part);
            if key.contains(' ') && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// How many of `docs` documents would contain all of a title's meaningful words if words fell
/// independently, given how many documents contain each (`dfs`). A title of common words ("Children
/// in Care" on a family-justice blog) scores in the hundreds; one with a guest's name or a report's
/// name, well below one.
pub fn chance_docs(dfs: &[u32], docs: u64) -> f64 {
    if docs == 0 {
        return 0.0;
    }
    let n = docs as f64;
    dfs.iter().fold(n, |acc, &df| acc * (f64::from(df) / n).min(1.0))
}

/// Where a document names an episode's title, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    /// In the document's own title.
    DocTitle,
    /// In a heading, a link's text or emphasis.
    Heading,
    /// In quotation marks.
    Quoted,
    /// Within a few words of "podcast", "episode", "listen", "interview"…
    Cued,
    /// Anywhere else in the body.
    Passing,
}

impl Placement {
    /// Whether a person writing this would be naming the episode rather than using the words.
    pub fn names_episode(self) -> bool {
        self != Placement::Passing
    }

    /// How a reason says where the title stands.
    pub fn wording(self) -> &'static str {
        match self {
            Placement::DocTitle => "in its title",
            Placement::Heading => "in a heading or link",
            Placement::Quoted => "in quotes",
            Placement::Cued => "next to \"episode\" or \"listen\"",
            Placement::Passing => "in passing",
        }
    }
}

/// Words that, near a title, show the writer is naming an episode.
const CUES: &[&str] = &[
    "podcast",
    "podcasts",
    "episode",
    "episodes",
    "listen",
    "listened",
    "listening",
    "interview",
    "interviewed",
    "guest",
    "guests",
    "conversation",
    "spoke",
    "talks",
    "talked",
    "joins",
    "joined",
    "hear",
    "heard",
    "ep",
];

/// Words either side of a title that are searched for a cue.
const CUE_WINDOW: usize = 10;

/// Bytes of a document's HTML read for headings and links: enough for any real post.
const MAX_SCAN_BYTES: usize = 300_000;

/// Where `phrase` (as [`words`] gives it) stands in a document, strongest placement first, or
/// `None` when it is not there at all.
pub fn placement(phrase: &[String], doc_title: &str, html: &str, text: &str) -> Option<Placement> {
    if phrase.is_empty() {
        return None;
    }
    if contains(&words(doc_title), phrase) {
        return Some(Placement::DocTitle);
    }
    if prominent_runs(html).iter().any(|run| contains(&words(run), phrase)) {
        return Some(Placement::Heading);
    }
    let text = super::reader::truncate_chars(text, MAX_SCAN_BYTES);
    let spans = word_spans(text);
    let ws: Vec<&str> = spans.iter().map(|(w, _, _)| w.as_str()).collect();
    let mut best: Option<Placement> = None;
    let n = phrase.len();
    let mut i = 0;
    while i + n <= ws.len() {
        if ws[i..i + n].iter().zip(phrase).all(|(a, b)| *a == b) {
            let (start, end) = (spans[i].1, spans[i + n - 1].2);
            let before = text[..start].trim_end().chars().next_back();
            let after = text[end..].trim_start().chars().next();
            let p = if before.is_some_and(is_open_quote) && after.is_some_and(is_close_quote) {
                Placement::Quoted
            } else if ws[i.saturating_sub(CUE_WINDOW)..i]
                .iter()
                .chain(&ws[i + n..(i + n + CUE_WINDOW).min(ws.len())])
                .any(|w| CUES.contains(w))
            {
                Placement::Cued
            } else {
                Placement::Passing
            };
            best = Some(best.map_or(p, |b| b.min(p)));
            i += n;
        } else {
            i += 1;
        }
    }
    best
}

/// Whether a document's title announces an episode as new ("New Podcast Episode: …", "New
/// episode …", "Out now: …", "Just released"): such a post comes out with the episode it
/// announces.
pub fn announces_new_episode(title: &str) -> bool {
    let ws = words(title);
    let pair = |a: &str, b: &[&str]| ws.windows(2).any(|w| w[0] == a && b.contains(&w[1].as_str()));
    let new_podcast_episode = ws
        .windows(3)
        .any(|w| w[0] == "new" && w[1] == "podcast" && w[2] == "episode");
    new_podcast_episode || pair("new", &["episode"]) || pair("out", &["now"]) || pair("just", &["released", "out"])
}

/// Whether a document's categories or tags (JSON arrays of names) hold a term with a word starting
/// `prefix`: "podcast" finds "Podcast", "Voice of the Child Podcast", "Podcasts"; "event" finds
/// "Events". Unreadable JSON holds nothing.
pub fn filed_under(categories: &str, tags: &str, prefix: &str) -> bool {
    [categories, tags].iter().any(|json| {
        serde_json::from_str::<Vec<String>>(json)
            .unwrap_or_default()
            .iter()
            .any(|t| words(t).iter().any(|w| w.starts_with(prefix)))
    })
}

/// Whether a document announces an event: filed under an events category or tag, or titled as a
/// notice ("Event: …", "Save the Date: …", "Join Us at …", "Tickets Now Available …"). A blog's
/// event posts name an episode's guests and come out near its date, so on their own those are
/// weak signs of being about the episode (`categories` and `tags` are JSON arrays of names).
pub fn is_event_notice(title: &str, categories: &str, tags: &str) -> bool {
    let filed = filed_under(categories, tags, "event");
    let words = super::similarity::words(title);
    let starts = |lead: &[&str]| words.len() > lead.len() && words.iter().zip(lead).all(|(w, l)| w == l);
    filed
        || starts(&["event"])
        || starts(&["events"])
        || starts(&["save", "the", "date"])
        || starts(&["join", "us"])
        || words.iter().any(|w| w == "tickets")
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '‘' | '\'' | '«' | '„')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '"' | '”' | '’' | '\'' | '»' | '“')
}

fn contains(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Each word of `text` as [`words`] folds it, with its byte span.
fn word_spans(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            push_span(text, s, i, &mut out);
        }
    }
    if let Some(s) = start {
        push_span(text, s, text.len(), &mut out);
    }
    out
}

fn push_span(text: &str, s: usize, e: usize, out: &mut Vec<(String, usize, usize)>) {
    if let Some(w) = words(&text[s..e]).into_iter().next() {
        out.push((w, s, e));
    }
}

/// The text of the headings, links and emphasised runs of an HTML fragment (its first
/// [`MAX_SCAN_BYTES`]), each as one string. A flat scan, so nesting depth costs nothing.
pub fn prominent_runs(html: &str) -> Vec<String> {
    let html = super::reader::truncate_chars(html, MAX_SCAN_BYTES);
    let lower = html.to_ascii_lowercase();
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        let at = i + off;
        if depth > 0 {
            current.push_str(&html[i..at]);
        }
        let Some(e) = lower[at..].find('>') else { break };
        let end = at + e + 1;
        let tag = &lower[at + 1..end - 1];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if matches!(
            name.as_str(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "a" | "strong" | "em" | "b" | "i" | "cite"
        ) {
            if closing {
                if depth > 0 {
                    depth -= 1;
                    if depth == 0 && !current.trim().is_empty() && out.len() < 2_000 {
                        out.push(crate::html::to_text(&std::mem::take(&mut current)));
                    }
                }
            } else {
                depth = (depth + 1).min(16);
            }
        } else if depth > 0 {
            current.push(' ');
        }
        i = end;
        if i >= lower.len() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(t: &str) -> Vec<String> {
        title_phrase(t).expect("a phrase")
    }

    #[test]
    fn titles_that_could_name_an_episode() {
        assert_eq!(
            title_phrase("“Adoption Without Consent” — with Jane Okafor").map(|w| w.join(" ")),
            Some("adoption without consent with jane okafor".to_owned())
        );
        assert_eq!(title_phrase("Episode 12"), None);
        assert_eq!(title_phrase("The One With It"), None, "stop words only");
        assert_eq!(title_key("News Round-Up!"), title_key("news round up"));
    }

    #[test]
    fn titles_announcing_a_new_episode() {
        for t in [
            "New Podcast Episode: Percy Dunmore on Adoption",
            "New episode \u{2013} Children in Care",
            "Out Now: Beatrix Eastlake",
            "Just released: our talk with the Ombudsman",
        ] {
            assert!(announces_new_episode(t), "{t}");
        }
        for t in [
            "Podcast: What Adoption Means",
            "A new law on episodes of care",
            "Outnow",
            "New Year",
        ] {
            assert!(!announces_new_episode(t), "{t}");
        }
    }

    #[test]
    fn a_players_title_stands_for_the_episode_title_within_it() {
        let keys = player_title_keys("Spotify Embed: Episode 19: Children\u{2019}s Wishes");
        assert!(keys.contains(&title_key("Episode 19: Children's Wishes")), "{keys:?}");
        assert!(keys.contains(&title_key("Children's Wishes")), "{keys:?}");
        assert!(keys.contains(&title_key("Spotify Embed")), "{keys:?}");
        let keys = player_title_keys("Growing Up Adopted | Voice of the Child");
        assert!(keys.contains(&title_key("Growing Up Adopted")), "{keys:?}");
        let keys = player_title_keys("Fathers \u{2013} a Special Episode - Live");
        assert!(keys.contains(&title_key("Fathers a Special Episode")), "{keys:?}");
        assert!(keys.contains(&title_key("a Special Episode - Live")), "{keys:?}");
        // A hyphen inside a word is no separator, and one-word parts are left out.
        assert_eq!(
            player_title_keys("Round-Up: News"),
            [title_key("Round-Up: News"), title_key("Round-Up")]
        );
        assert_eq!(player_title_keys(""), Vec::<String>::new());
        assert_eq!(
            player_title_ref("growing up adopted"),
            "player-title:growing up adopted"
        );
    }

    #[test]
    fn common_words_are_likely_together_by_chance() {
        // On a 600-document family-justice blog: "children" in 540, "care" in 240.
        assert!(chance_docs(&[540, 240], 600) > 100.0);
        // A guest's surname in 4 documents and a report's place in 6.
        assert!(chance_docs(&[540, 4, 6], 600) < 0.1);
        assert_eq!(chance_docs(&[3], 0), 0.0);
    }

    #[test]
    fn where_the_title_stands() {
        let p = phrase("Children in Care");
        let at = |title: &str, html: &str| placement(&p, title, html, &crate::html::to_text(html));
        assert_eq!(
            at("Voice of the Child: Children in Care", "<p>x</p>"),
            Some(Placement::DocTitle)
        );
        assert_eq!(
            at("Our week", "<h2>Children in care</h2><p>More.</p>"),
            Some(Placement::Heading)
        );
        assert_eq!(
            at(
                "Our week",
                r#"<p>See <a href="/x">children in <em>care</em></a> now.</p>"#
            ),
            Some(Placement::Heading)
        );
        assert_eq!(
            at("Our week", "<p>We loved “Children in Care” last month.</p>"),
            Some(Placement::Quoted)
        );
        assert_eq!(
            at("Our week", "<p>In the latest episode, children in care speak up.</p>"),
            Some(Placement::Cued)
        );
        assert_eq!(
            at(
                "Statistics",
                "<p>The number of children in care rose again this year in England and Wales, the figures show.</p>"
            ),
            Some(Placement::Passing)
        );
        assert_eq!(at("Statistics", "<p>Nothing here.</p>"), None);
    }

    #[test]
    fn hostile_markup_is_bounded() {
        let deep = "<a>".repeat(50_000) + "Children in Care" + &"</a>".repeat(50_000);
        assert!(prominent_runs(&deep).len() <= 2_000);
        assert!(prominent_runs("<h1>unclosed <a href='x").len() <= 1);
        assert_eq!(placement(&[], "t", "", ""), None);
    }
    #[test]
    fn event_notices_are_told_by_their_category_or_title() {
        for (title, categories, tags) in [
            (
                "Kofi Okonedo-Hart to Speak at the Harcourt Forum",
                r#"["Events"]"#,
                "[]",
            ),
            ("Harcourt Forum", "[]", r#"["events", "kinship"]"#),
            ("Event: Saltcote Family Justice Conference, March 4", "[]", "[]"),
            ("Save the Date: Voices from Care Festival", "[]", "[]"),
            ("Join Us at the Kinship Care Summit", "[]", "[]"),
            ("Tickets Now Available for the Annual Lecture", "[]", "[]"),
        ] {
            assert!(is_event_notice(title, categories, tags), "{title}");
        }
        for (title, categories) in [
            ("Voice of the Child Podcast: Life After Care", r#"["Podcast"]"#),
            ("What the Review Means for Events in Court", "[]"),
            ("Joining the Dots on Contact", "[]"),
            ("Event", "[]"),
        ] {
            assert!(!is_event_notice(title, categories, "not json"), "{title}");
        }
    }
}
