//! Images in show notes and posts that live on other servers. Loading one tells its server who
//! reads what, and a tracking pixel or an address on the user's own network costs nothing to plant.
//! So the page never loads them itself: every remote `<img>` is pointed at the app's `remoteimg:`
//! scheme ([`crate::image_proxy`]), which fetches it (through the fetcher's rules for addresses
//! named by a public document) only when the user has allowed remote images for that podcast,
//! blog source or page. Until then the page says how many images were held back.

use crate::docs::{DocumentDetail, DocumentId};
use crate::error::{Error, Result};
use crate::image_proxy::{proxy_images, ImageHolder, ImageOwner};
use crate::library::Library;

impl Library {
    /// Whether `owner`'s remote images are loaded (off until the user says so).
    pub fn remote_images_allowed(&self, owner: ImageOwner) -> Result<bool> {
        Ok(self.setting(&owner.setting_key())?.as_deref() == Some("on"))
    }

    /// Allows or stops remote images for `owner`.
    pub fn set_remote_images(&mut self, owner: ImageOwner, on: bool) -> Result<()> {
        crate::storage::put_setting(self.conn(), &owner.setting_key(), if on { "on" } else { "off" })
    }

    /// Who decides about a document's images: its source, else the page itself.
    pub fn document_image_owner(&self, d: &DocumentDetail) -> ImageOwner {
        d.source_id
            .map_or(ImageOwner::Page(d.id.0), |s| ImageOwner::Source(s.0))
    }

    /// A document as the app shows it: archived images from their local copies, other images
    /// through the proxy, and how many were held back.
    pub fn document_shown(&self, id: DocumentId) -> Result<DocumentDetail> {
        let mut d = self.document(id)?;
        d.remote_images_allowed = self.remote_images_allowed(self.document_image_owner(&d))?;
        let (html, remote) = proxy_images(
            &self.document_offline_html(id)?,
            ImageHolder::Document(id.0),
            !d.remote_images_allowed,
        );
        d.html = html;
        d.remote_images = remote.len() as u32;
        Ok(d)
    }

    /// For a `remoteimg:` request: the address of the document that names `url` (what the fetch
    /// is judged by), when its owner allows remote images and the document shown really holds
    /// that image. `None` refuses the request.
    pub fn remote_image_origin(&self, holder: ImageHolder, url: &str) -> Result<Option<String>> {
        let (names_it, owner, origin) = match holder {
            ImageHolder::Episode(id) => {
                let id = crate::model::EpisodeId(id);
                let d = match self.episode_unprepared(id).map(|u| u.without_notes()) {
                    Ok(d) => d,
                    Err(Error::NotFound(_)) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let feed = self.podcast(d.episode.podcast_id)?.feed_url;
                let (_, remote) = proxy_images(&crate::html::sanitize(&self.episode_notes_raw(id)?), holder, false);
                (
                    remote.iter().any(|u| u == url),
                    ImageOwner::Podcast(d.episode.podcast_id.0),
                    feed,
                )
            }
            ImageHolder::Document(id) => {
                let id = DocumentId(id);
                let d = match self.document(id) {
                    Ok(d) => d,
                    Err(Error::NotFound(_)) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let (_, remote) = proxy_images(&self.document_offline_html(id)?, holder, false);
                (remote.iter().any(|u| u == url), self.document_image_owner(&d), d.url)
            }
        };
        Ok((names_it && self.remote_images_allowed(owner)?).then_some(origin))
    }
}
