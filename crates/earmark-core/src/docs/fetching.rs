//! The network side of documents: reading a blog's whole archive (REST API when the site offers
//! it, else its paged RSS feed), refreshing only what changed, and adding pages by URL.
//!
//! Each page of an archive is stored as it arrives (one transaction per page), so a backfill of
//! thousands of posts holds one page in memory, and an interrupted backfill keeps what it got.
//! The high-water mark (newest modification seen) only moves once a fetch has completed, so an
//! interrupted refresh is simply done again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use url::Url;

use super::model::{CollectionId, CollectionKind, DocKind, PageOutcome, SourceId, SourceMethod, SourceReport};
use super::store::Change;
use super::wordpress::{self, Names, WpTerm};
use super::{page, NewDocument};
use crate::error::{Error, FetchError, Result};
use crate::fetch::{Fetched, Fetcher};
use crate::library::Library;

/// Items asked for per REST request (WordPress's maximum).
pub const PER_PAGE: u32 = 100;

/// No archive is paged further than this (a server that never says "no more" cannot loop us).
pub const MAX_PAGES: u32 = 2_000;

/// Adds a blog by its home URL (or finds it, when already added) and reads its archive: the
/// whole of it the first time, only what changed since the last time afterwards. With `campaign`,
/// the source and all its documents join that campaign (created on first use).
pub fn add_source(
    lib: &mut Library,
    fetcher: &Fetcher,
    home_url: &str,
    campaign: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SourceReport> {
    let home = web_url(home_url)?;
    let collection = campaign
        .map(|c| lib.collection_ensure(c, CollectionKind::Campaign, now))
        .transpose()?;
    let id = lib.source_upsert(home.as_str(), collection, now)?;
    refresh_source(lib, fetcher, id, now)
}

/// Refreshes every source; a failing one is recorded on it and does not stop the others.
pub fn refresh_sources(lib: &mut Library, fetcher: &Fetcher, now: DateTime<Utc>) -> Result<Vec<Result<SourceReport>>> {
    let ids: Vec<SourceId> = lib.sources()?.into_iter().map(|s| s.id).collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = refresh_source(lib, fetcher, id, now);
        if let Err(Error::Db(e)) = r {
            return Err(Error::Db(e));
        }
        out.push(r);
    }
    Ok(out)
}

/// Reads what changed on one source since its high-water mark (everything, the first time).
/// A failure is recorded on the source (what was stored before stays) and returned.
pub fn refresh_source(lib: &mut Library, fetcher: &Fetcher, id: SourceId, now: DateTime<Utc>) -> Result<SourceReport> {
    let source = lib.source(id)?;
    let home = web_url(&source.home_url)?;
    let high_water = source.high_water.as_deref().and_then(wordpress::wp_date);
    let mut run = Run {
        lib,
        fetcher,
        source: id,
        collection: None,
        now,
        counts: Counts::default(),
        newest: high_water,
    };
    run.collection = run.lib.source_collection(id)?;
    match run.read_archive(&home, high_water) {
        Ok((method, title)) => {
            let (counts, newest) = (run.counts, run.newest);
            lib.source_fetched(id, method, &title, newest, now)?;
            // An archived source keeps the images of what just arrived; a failing image never
            // fails the refresh (it is tried again next time).
            if lib.source_archived(id)? {
                match super::images::archive_images(lib, fetcher, Some(id), now) {
                    Ok(r) if !r.failed.is_empty() => tracing::warn!(source = id.0, "images not kept: {:?}", r.failed),
                    Ok(_) => {}
                    Err(Error::Db(e)) => return Err(Error::Db(e)),
                    Err(e) => tracing::warn!(source = id.0, "archiving images: {e}"),
                }
            }
            Ok(SourceReport {
                source: lib.source(id)?,
                new: counts.new,
                updated: counts.updated,
                unchanged: counts.unchanged,
                requests: counts.requests,
            })
        }
        Err(e) => {
            if !matches!(e, Error::Db(_)) {
                lib.source_failed(id, &e.to_string())?;
            }
            Err(e)
        }
    }
}

/// Reads the pages teammates shared (see `share`) that this library has not read yet, each as
/// [`add_pages`] would, into its campaign. A page read, or refused for good (gone, not a page), no
/// longer waits; one that failed for a passing reason (offline, a timeout) is tried again by the
/// next refresh.
pub fn fetch_shared_pages(lib: &mut Library, fetcher: &Fetcher, now: DateTime<Utc>) -> Result<Vec<PageOutcome>> {
    let mut out = Vec::new();
    for (url, campaign) in lib.pages_waiting()? {
        let outcomes = add_pages(lib, fetcher, std::slice::from_ref(&url), campaign.as_deref(), now)?;
        let passing = outcomes
            .iter()
            .any(|o| matches!(o.error_code.as_deref(), Some("offline" | "timeout")));
        if !passing {
            lib.page_no_longer_waiting(&url)?;
        }
        out.extend(outcomes);
    }
    Ok(out)
}

/// Adds pages by URL, each on its own: a 404, a timeout or a page with no content is reported in
/// its outcome and the others are still fetched and stored. Only a library error stops the list.
/// A page already in the library is updated in place (same id), never duplicated.
pub fn add_pages(
    lib: &mut Library,
    fetcher: &Fetcher,
    urls: &[String],
    campaign: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<PageOutcome>> {
    let collection = campaign
        .map(|c| lib.collection_ensure(c, CollectionKind::Campaign, now))
        .transpose()?;
    let mut out = Vec::with_capacity(urls.len());
    for raw in urls {
        let outcome = match fetch_page(fetcher, raw) {
            Ok(doc) => {
                let existed = lib.document_id_by_url(&doc.url)?.is_some();
                let stored = lib.store_documents(None, std::slice::from_ref(&doc), collection, now)?;
                let row = match stored.first() {
                    Some((id, _)) => Some(lib.document_row(*id)?),
                    None => None,
                };
                PageOutcome {
                    url: raw.clone(),
                    document: row,
                    existed,
                    error_code: None,
                    error: None,
                }
            }
            Err(Error::Db(e)) => return Err(Error::Db(e)),
            Err(e) => PageOutcome {
                url: raw.clone(),
                document: None,
                existed: false,
                error_code: Some(e.code().as_str().to_owned()),
                error: Some(e.to_string()),
            },
        };
        out.push(outcome);
    }
    Ok(out)
}

/// Fetches one page and extracts its main content.
pub fn fetch_page(fetcher: &Fetcher, raw: &str) -> Result<NewDocument> {
    let url = web_url(raw)?;
    let got = fetcher.get(&url)?;
    let final_url = got.final_url.clone();
    let html = page::decode_html(&got.body, got.content_type.as_deref(), &final_url)?;
    let p = page::extract(&html, &final_url)?;
    Ok(NewDocument {
        kind: DocKind::Page,
        // The address asked for is the page's identity: re-adding it finds the same row even when
        // the site redirects.
        url: url.to_string(),
        remote_id: None,
        title: p.title,
        published: p.published,
        modified: p.modified,
        author: p.author,
        categories: Vec::new(),
        tags: Vec::new(),
        html_raw: p.main_html,
        html_clean: p.html_clean,
        text: p.text,
    })
}

/// An http(s) URL, or a clear refusal.
fn web_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|_| FetchError::InvalidUrl(raw.to_owned()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(FetchError::UnsupportedScheme(other.to_owned()).into()),
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    new: u64,
    updated: u64,
    unchanged: u64,
    requests: u64,
}

/// One read of a source's archive.
struct Run<'a> {
    lib: &'a mut Library,
    fetcher: &'a Fetcher,
    source: SourceId,
    collection: Option<CollectionId>,
    now: DateTime<Utc>,
    counts: Counts,
    /// The newest modification (REST) or publication (RSS) time seen so far.
    newest: Option<DateTime<Utc>>,
}

impl Run<'_> {
    fn get(&mut self, url: &Url) -> Result<Fetched> {
        self.counts.requests += 1;
        Ok(self.fetcher.get(url)?)
    }

    /// Stores a batch; returns how many were new or changed.
    fn store(&mut self, docs: &[NewDocument]) -> Result<u64> {
        let done = self
            .lib
            .store_documents(Some(self.source), docs, self.collection, self.now)?;
        let mut changed = 0;
        for (_, c) in done {
            match c {
                Change::New => self.counts.new += 1,
                Change::Updated => self.counts.updated += 1,
                Change::Unchanged => {
                    self.counts.unchanged += 1;
                    continue;
                }
            }
            changed += 1;
        }
        Ok(changed)
    }

    fn saw(&mut self, t: Option<DateTime<Utc>>) {
        if let Some(t) = t {
            if self.newest.is_none_or(|n| t > n) {
                self.newest = Some(t);
            }
        }
    }

    /// Finds how to read the site, then reads it. Returns how, and the site's name.
    fn read_archive(&mut self, home: &Url, high_water: Option<DateTime<Utc>>) -> Result<(SourceMethod, String)> {
        let home_page = self.get(home).ok();
        let html = home_page
            .as_ref()
            .map(|f| String::from_utf8_lossy(&f.body).into_owned())
            .unwrap_or_default();
        let base = home_page.as_ref().map_or(home.clone(), |f| f.final_url.clone());
        let site_title = site_title(&html);
        let api = match wordpress::api_root_from_html(&html, &base) {
            Some(api) => Some(api),
            None => self.probe_api(&base),
        };
        if let Some(api) = api {
            self.read_rest(&api, high_water)?;
            return Ok((SourceMethod::Rest, site_title));
        }
        let feed = wordpress::feed_from_html(&html, &base)
            .or_else(|| base.join("feed/").ok())
            .ok_or_else(|| FetchError::InvalidUrl(home.to_string()))?;
        let title = self.read_rss(&feed, high_water)?;
        Ok((
            SourceMethod::Rss,
            if site_title.is_empty() { title } else { site_title },
        ))
    }

    /// `/wp-json/` when the home page did not announce an API root.
    fn probe_api(&mut self, base: &Url) -> Option<Url> {
        let mut root = base.clone();
        root.set_query(None);
        root.set_fragment(None);
        let api = root.join("/wp-json/").ok()?;
        let got = self.get(&api).ok()?;
        wordpress::is_api_index(&got.body).then_some(api)
    }

    fn read_rest(&mut self, api: &Url, high_water: Option<DateTime<Utc>>) -> Result<()> {
        let mut names = Names::default();
        for (route, kind) in [("wp/v2/posts", DocKind::Post), ("wp/v2/pages", DocKind::Page)] {
            self.read_rest_route(api, route, kind, high_water, &mut names)?;
        }
        Ok(())
    }

    /// Pages through one collection, newest modification first. With a high-water mark, asks
    /// only for what changed after it (`modified_after`) and stops at the first item not newer
    /// than it, for servers that ignore the parameter.
    fn read_rest_route(
        &mut self,
        api: &Url,
        route: &str,
        kind: DocKind,
        high_water: Option<DateTime<Utc>>,
        names: &mut Names,
    ) -> Result<()> {
        let mut page = 1u32;
        loop {
            let mut params = vec![
                ("per_page", PER_PAGE.to_string()),
                ("page", page.to_string()),
                ("orderby", "modified".to_owned()),
                ("order", "desc".to_owned()),
            ];
            if let Some(hw) = high_water {
                params.push(("modified_after", hw.format("%Y-%m-%dT%H:%M:%S").to_string()));
            }
            let url = wordpress::route_url(api, route, &params);
            let got = match self.get(&url) {
                Ok(g) => g,
                // WordPress answers 400 for a page past the end; a missing route (404) on pages
                // means the site hides them.
                Err(Error::Fetch(FetchError::Status { status: 400 | 404, .. }))
                    if page > 1 || kind == DocKind::Page =>
                {
                    return Ok(())
                }
                Err(e) => return Err(e),
            };
            let items = wordpress::parse_items(&got.body, &url)?;
            if items.is_empty() {
                return Ok(());
            }
            let fresh: Vec<&wordpress::WpItem> = items
                .iter()
                .filter(|i| high_water.is_none_or(|hw| i.modified().is_none_or(|m| m > hw)))
                .collect();
            let reached_old = fresh.len() < items.len();
            self.resolve_names(api, &fresh, names)?;
            let docs: Vec<NewDocument> = fresh
                .iter()
                .filter_map(|i| wordpress::item_document(i, kind, names))
                .collect();
            for i in &fresh {
                self.saw(i.modified());
            }
            self.store(&docs)?;
            let last = got.total_pages.is_some_and(|t| page >= t);
            if reached_old || last || page >= MAX_PAGES {
                return Ok(());
            }
            page += 1;
        }
    }

    /// Looks up the names of categories, tags and authors not seen yet in this run. Users are
    /// often hidden: a refusal there just leaves authors unnamed.
    fn resolve_names(&mut self, api: &Url, items: &[&wordpress::WpItem], names: &mut Names) -> Result<()> {
        let missing = |ids: &mut dyn Iterator<Item = i64>, known: &HashMap<i64, String>| -> Vec<i64> {
            let set: HashSet<i64> = ids.filter(|i| !known.contains_key(i)).collect();
            let mut v: Vec<i64> = set.into_iter().collect();
            v.sort_unstable();
            v
        };
        let cats = missing(
            &mut items.iter().flat_map(|i| i.categories.iter().copied()),
            &names.categories,
        );
        let tags = missing(&mut items.iter().flat_map(|i| i.tags.iter().copied()), &names.tags);
        let users = missing(&mut items.iter().filter_map(|i| i.author), &names.users);
        for t in self.terms(api, "wp/v2/categories", &cats, true)? {
            names.categories.insert(t.id, t.name);
        }
        for t in self.terms(api, "wp/v2/tags", &tags, true)? {
            names.tags.insert(t.id, t.name);
        }
        for t in self.terms(api, "wp/v2/users", &users, false)? {
            names.users.insert(t.id, t.name);
        }
        // Ids the site did not name are not asked for again in this run.
        for (ids, map) in [
            (&cats, &mut names.categories),
            (&tags, &mut names.tags),
            (&users, &mut names.users),
        ] {
            for id in ids {
                map.entry(*id).or_default();
            }
        }
        Ok(())
    }

    fn terms(&mut self, api: &Url, route: &str, ids: &[i64], required: bool) -> Result<Vec<WpTerm>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(PER_PAGE as usize) {
            let include = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let url = wordpress::route_url(api, route, &[("include", include), ("per_page", PER_PAGE.to_string())]);
            match self.get(&url).and_then(|g| Ok(wordpress::parse_terms(&g.body, &url)?)) {
                Ok(mut terms) => out.append(&mut terms),
                Err(e) if required => return Err(e),
                Err(e) => tracing::debug!(%url, error = %e, "names not available"),
            }
        }
        Ok(out)
    }

    /// Pages through the feed (`?paged=N`) until a page 404s, brings nothing not already seen in
    /// this run, or (on a refresh) brings nothing new or changed. Returns the channel title.
    fn read_rss(&mut self, feed: &Url, high_water: Option<DateTime<Utc>>) -> Result<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut title = String::new();
        for page in 1..=MAX_PAGES {
            let mut url = feed.clone();
            if page > 1 {
                url.query_pairs_mut().append_pair("paged", &page.to_string());
            }
            let got = match self.get(&url) {
                Ok(g) => g,
                Err(Error::Fetch(FetchError::Status {
                    status: 404 | 400 | 410,
                    ..
                })) if page > 1 => break,
                Err(Error::Fetch(FetchError::Gone)) if page > 1 => break,
                Err(e) => return Err(e),
            };
            let (t, docs) = wordpress::parse_rss_page(&got.body, &url)?;
            if page == 1 {
                title = t;
            }
            let docs: Vec<NewDocument> = docs.into_iter().filter(|d| seen.insert(d.url.clone())).collect();
            if docs.is_empty() {
                break;
            }
            for d in &docs {
                self.saw(d.published);
            }
            let changed = self.store(&docs)?;
            if high_water.is_some() && changed == 0 {
                break;
            }
        }
        Ok(title)
    }
}

/// `<title>` of the home page, or `og:site_name`.
fn site_title(html: &str) -> String {
    if html.is_empty() {
        return String::new();
    }
    let doc = crate::html::parse_document(html);
    let pick = |css: &str, attr: Option<&str>| -> Option<String> {
        let sel = scraper::Selector::parse(css).ok()?;
        let el = doc.select(&sel).next()?;
        let t = match attr {
            Some(a) => el.value().attr(a)?.to_owned(),
            None => el.text().collect(),
        };
        let t = crate::html::title_text(&t);
        (!t.is_empty()).then_some(t)
    };
    pick("meta[property='og:site_name']", Some("content"))
        .or_else(|| pick("title", None))
        .unwrap_or_default()
}
