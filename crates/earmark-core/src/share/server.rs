//! The archive through an automerge-repo sync server (the `@automerge/automerge-repo-sync-server`
//! package, or any server speaking that protocol), for teams that run one.
//!
//! The wire protocol, as automerge-repo's WebSocket adapter speaks it: each binary frame is one
//! CBOR map. A client says `join` (its peer id, protocol "1"); the server answers `peer`. Then,
//! per document, `request` (we hold nothing of it yet) or `sync` frames carry Automerge's own sync
//! messages both ways until both sides hold the same heads; a server without the document answers
//! `doc-unavailable`. The merge is the engine's (`generate_sync_message`, `receive_sync_message`):
//! this module only moves its messages.
//!
//! An archive's address is the server's WebSocket URL with the document's id after `#`:
//! `wss://sync.example.org/#automerge:<bs58check id>`. The fragment never reaches the server (it is
//! not part of the request); it is how the team passes the archive around.

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, AutoCommit};
use ciborium::Value;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::ShareError;

/// How long the whole exchange may take before a sync gives up (its local changes are kept and
/// sent next time).
const DEADLINE: Duration = Duration::from_secs(60);
/// How long to wait for the server to answer one frame.
const QUIET: Duration = Duration::from_secs(15);
/// How long a server may leave a request for an archive unanswered before we take it that it has
/// none: automerge-repo's server, which shares nothing unasked, tells a requester that a document is
/// unavailable only when some other peer was asked too, so for an unknown id it says nothing. A
/// server that has the archive answers at once (its first sync message).
const UNANSWERED: Duration = Duration::from_secs(8);
/// How often a blocked read wakes to check the limits above.
const TICK: Duration = Duration::from_millis(250);
/// Frames bigger than this are refused: no archive a team makes comes near it.
const FRAME_MAX: usize = 256 << 20;

/// Whether a share target names a sync server rather than a folder.
pub(crate) fn is_server(target: &str) -> bool {
    target.starts_with("ws://") || target.starts_with("wss://")
}

/// A server and the archive document on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Address {
    /// The WebSocket URL, without the fragment.
    pub socket: url::Url,
    /// The document's id as automerge-repo writes it (bs58check of 16 bytes).
    pub doc_id: String,
}

impl Address {
    /// Reads `ws[s]://host[:port]/path#automerge:<id>`.
    pub fn parse(text: &str) -> Result<Address, ShareError> {
        let bad = |why: &str| ShareError::Server(format!("{text:?} is not an archive's address ({why})"));
        let mut socket = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(socket.scheme(), "ws" | "wss") || socket.host_str().is_none() {
            return Err(bad("it must start with ws:// or wss:// and name a host"));
        }
        let fragment = socket.fragment().unwrap_or_default().to_owned();
        let doc_id = fragment
            .strip_prefix("automerge:")
            .ok_or_else(|| bad("the archive's id, #automerge:…, is missing at its end"))?
            .to_owned();
        let bytes = bs58::decode(&doc_id)
            .with_check(None)
            .into_vec()
            .map_err(|_| bad("its id is damaged"))?;
        if bytes.len() != 16 {
            return Err(bad("its id is not an automerge-repo document id"));
        }
        socket.set_fragment(None);
        Ok(Address { socket, doc_id })
    }

    /// A new archive's address on the server at `server` (a WebSocket URL without an id): a
    /// random document id, as automerge-repo makes them.
    pub fn new_on(server: &str) -> Result<Address, ShareError> {
        let mut base = url::Url::parse(server.trim())
            .map_err(|e| ShareError::Server(format!("{server:?} is not a server's address ({e})")))?;
        base.set_fragment(None);
        let id = bs58::encode(ActorId::random().to_bytes()).with_check().into_string();
        Address::parse(&format!("{base}#automerge:{id}"))
    }

    /// The address as the team passes it around.
    pub fn text(&self) -> String {
        format!("{}#automerge:{}", self.socket, self.doc_id)
    }
}

/// What one exchange with the server did.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    /// Sync messages that came from the server.
    pub received: u32,
    /// Sync messages sent to it.
    pub sent: u32,
}

/// Brings `doc` and the server's copy of it to the same state. With `must_exist`, a server
/// without the document is an error ([`ShareError::NotOnServer`]); otherwise our copy is sent and
/// the server keeps it.
pub(crate) fn sync_with(addr: &Address, doc: &mut AutoCommit, must_exist: bool) -> Result<Exchange, ShareError> {
    let mut session = Session::open(addr)?;
    let mut state = sync::State::new();
    let first = if doc.get_heads().is_empty() { "request" } else { "sync" };
    let Some(m) = doc.sync().generate_sync_message(&mut state) else {
        return Err(ShareError::Server("the engine had nothing to say to the server".into()));
    };
    session.send(first, m.encode())?;
    let exchange = Exchange { received: 0, sent: 1 };
    session.converge(doc, state, must_exist, exchange, None)
}

/// What asking the server with our heads alone found.
pub(crate) enum Light {
    /// The server holds exactly what we hold: nothing to do, and the document was never loaded.
    UpToDate,
    /// It has something else: load the document and [`resume`] with this.
    Differs(Box<Resume>),
}

/// An exchange begun by [`sync_light`], to go on once the document is loaded.
pub(crate) struct Resume {
    session: Session,
    state: sync::State,
    reply: sync::Message,
}

/// The cheap start of a sync when nothing changed here since the server last held all of our
/// document (`heads`): the first message the engine would make from that point (our heads, "last
/// synced at them", nothing to send), written without loading the document, which costs half a
/// second at 15,000 items. If the server answers with the same heads and nothing for us, the sync
/// is over; otherwise the exchange goes on with the loaded document ([`resume`]), the engine
/// applying the server's answer as if it had made the first message itself. A server that lost
/// those heads answers with a reset, which the engine handles the same way.
pub(crate) fn sync_light(addr: &Address, heads: &[automerge::ChangeHash]) -> Result<Light, ShareError> {
    let mut session = Session::open(addr)?;
    let message = sync::Message {
        heads: heads.to_vec(),
        need: Vec::new(),
        have: vec![sync::Have {
            last_sync: heads.to_vec(),
            bloom: sync::BloomFilter::default(),
        }],
        changes: sync::ChunkList::empty(),
        supported_capabilities: Some(vec![sync::Capability::MessageV1, sync::Capability::MessageV2]),
        version: sync::MessageVersion::V1,
    };
    session.send("sync", message.encode())?;
    // The state the engine keeps after making that message itself.
    let mut state = sync::State::new();
    state.shared_heads = heads.to_vec();
    state.last_sent_heads = heads.to_vec();
    state.have_responded = true;
    state.in_flight = true;
    let reply = session.next_message(false, 0)?;
    if reply.heads == heads && reply.changes.is_empty() && reply.need.is_empty() {
        session.link.close();
        return Ok(Light::UpToDate);
    }
    Ok(Light::Differs(Box::new(Resume { session, state, reply })))
}

/// Goes on with an exchange [`sync_light`] began, now that the document is loaded.
pub(crate) fn resume(resume: Resume, doc: &mut AutoCommit) -> Result<Exchange, ShareError> {
    let Resume { session, state, reply } = resume;
    session.converge(doc, state, false, Exchange { received: 0, sent: 1 }, Some(reply))
}

/// A connection that has said `join` and heard `peer`, about one document.
struct Session {
    link: Link,
    peer: String,
    server: String,
    doc_id: String,
    address: String,
    started: Instant,
    last: Instant,
}

impl Session {
    fn open(addr: &Address) -> Result<Session, ShareError> {
        let started = Instant::now();
        let mut link = Link::open(addr)?;
        let peer = format!("earmark-{}", ActorId::random().to_hex_string());
        link.send(&frame(&[
            ("type", Value::Text("join".into())),
            ("senderId", Value::Text(peer.clone())),
            ("supportedProtocolVersions", Value::Array(vec![Value::Text("1".into())])),
            (
                "peerMetadata",
                Value::Map(vec![(Value::Text("isEphemeral".into()), Value::Bool(true))]),
            ),
        ]))?;
        let server = loop {
            let Some(msg) = link.receive(Instant::now() + QUIET)? else {
                return Err(link.silent());
            };
            match text_field(&msg, "type").as_deref() {
                Some("peer") => break text_field(&msg, "senderId").unwrap_or_default(),
                Some("error") => return Err(refused(&msg)),
                _ => {}
            }
        };
        Ok(Session {
            link,
            peer,
            server,
            doc_id: addr.doc_id.clone(),
            address: addr.text(),
            started,
            last: Instant::now(),
        })
    }

    /// Sends one of the engine's sync messages as a `sync` (or `request`) frame.
    fn send(&mut self, kind: &str, data: Vec<u8>) -> Result<(), ShareError> {
        self.link.send(&frame(&[
            ("type", Value::Text(kind.into())),
            ("senderId", Value::Text(self.peer.clone())),
            ("targetId", Value::Text(self.server.clone())),
            ("documentId", Value::Text(self.doc_id.clone())),
            ("data", Value::Bytes(data)),
        ]))
    }

    /// The next sync message about our document, within the time limits; `received` says how
    /// many came before (a first answer is awaited for less long when the document must exist).
    fn next_message(&mut self, must_exist: bool, received: u32) -> Result<sync::Message, ShareError> {
        loop {
            let wait = if must_exist && received == 0 { UNANSWERED } else { QUIET };
            let until = (self.last + wait).min(self.started + DEADLINE);
            let Some(msg) = self.link.receive(until)? else {
                if must_exist && received == 0 {
                    return Err(ShareError::NotOnServer(self.address.clone()));
                }
                if self.started.elapsed() >= DEADLINE {
                    return Err(ShareError::Server(format!(
                        "{} took longer than {} s; what changed here is sent next time",
                        self.link.what,
                        DEADLINE.as_secs()
                    )));
                }
                return Err(self.link.silent());
            };
            self.last = Instant::now();
            if text_field(&msg, "documentId").as_deref() != Some(self.doc_id.as_str()) {
                // A frame about something else (another document, a ping of the protocol's own).
                if text_field(&msg, "type").as_deref() == Some("error") {
                    return Err(refused(&msg));
                }
                continue;
            }
            match text_field(&msg, "type").as_deref() {
                Some("doc-unavailable") if must_exist => return Err(ShareError::NotOnServer(self.address.clone())),
                Some("doc-unavailable") => {
                    return Err(ShareError::Server(
                        "the server says it has no copy of this archive; it may have lost its data".into(),
                    ))
                }
                Some("sync" | "request") => {
                    let data = bytes_field(&msg, "data")
                        .ok_or_else(|| ShareError::Server("a sync frame without its data".into()))?;
                    return sync::Message::decode(&data)
                        .map_err(|e| ShareError::Server(format!("a sync message the engine cannot read ({e})")));
                }
                _ => continue,
            }
        }
    }

    /// Applies the server's messages (`first`, then each that comes) and answers them, until the
    /// server has said it holds exactly what we hold.
    fn converge(
        mut self,
        doc: &mut AutoCommit,
        mut state: sync::State,
        must_exist: bool,
        mut exchange: Exchange,
        mut first: Option<sync::Message>,
    ) -> Result<Exchange, ShareError> {
        loop {
            let message = match first.take() {
                Some(m) => m,
                None => self.next_message(must_exist, exchange.received)?,
            };
            doc.sync()
                .receive_sync_message(&mut state, message)
                .map_err(|e| ShareError::Server(format!("the engine refused the server's changes ({e})")))?;
            exchange.received += 1;
            if let Some(m) = doc.sync().generate_sync_message(&mut state) {
                self.send("sync", m.encode())?;
                exchange.sent += 1;
            }
            if state.their_heads.as_deref() == Some(&doc.get_heads()[..]) {
                self.link.close();
                return Ok(exchange);
            }
        }
    }
}

fn refused(msg: &Value) -> ShareError {
    ShareError::Server(format!(
        "it refused: {}",
        text_field(msg, "message").unwrap_or_else(|| "no reason given".into())
    ))
}

/// A CBOR map with text keys.
fn frame(fields: &[(&str, Value)]) -> Vec<u8> {
    let map = Value::Map(
        fields
            .iter()
            .map(|(k, v)| (Value::Text((*k).to_owned()), v.clone()))
            .collect(),
    );
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(&map, &mut out);
    out
}

fn field<'a>(msg: &'a Value, key: &str) -> Option<&'a Value> {
    msg.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn text_field(msg: &Value, key: &str) -> Option<String> {
    field(msg, key)?.as_text().map(str::to_owned)
}

fn bytes_field(msg: &Value, key: &str) -> Option<Vec<u8>> {
    field(msg, key)?.as_bytes().cloned()
}

/// One WebSocket to the server, with time limits on every wait.
struct Link {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    what: String,
}

impl Link {
    fn open(addr: &Address) -> Result<Link, ShareError> {
        let what = format!(
            "{}:{}",
            addr.socket.host_str().unwrap_or_default(),
            addr.socket.port_or_known_default().unwrap_or(0)
        );
        let unreachable = |e: &dyn std::fmt::Display| {
            ShareError::Server(format!(
                "{what} cannot be reached ({e}); what changed here is sent next time"
            ))
        };
        let target = what
            .to_socket_addrs()
            .map_err(|e| unreachable(&e))?
            .next()
            .ok_or_else(|| unreachable(&"no address for that name"))?;
        let tcp = TcpStream::connect_timeout(&target, QUIET).map_err(|e| unreachable(&e))?;
        tcp.set_read_timeout(Some(QUIET)).map_err(|e| unreachable(&e))?;
        tcp.set_write_timeout(Some(QUIET)).map_err(|e| unreachable(&e))?;
        let mut config = tungstenite::protocol::WebSocketConfig::default();
        config.max_message_size = Some(FRAME_MAX);
        config.max_frame_size = Some(FRAME_MAX);
        let (socket, _) = tungstenite::client_tls_with_config(addr.socket.as_str(), tcp, Some(config), None)
            .map_err(|e| unreachable(&e))?;
        // Connected: from now on a blocked read wakes often, to keep the limits of `receive`.
        let tcp = match socket.get_ref() {
            MaybeTlsStream::Plain(s) => Some(s),
            MaybeTlsStream::Rustls(s) => Some(s.get_ref()),
            _ => None,
        };
        if let Some(tcp) = tcp {
            tcp.set_read_timeout(Some(TICK)).map_err(|e| unreachable(&e))?;
        }
        Ok(Link { socket, what })
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), ShareError> {
        self.socket.send(Message::binary(bytes.to_vec())).map_err(|e| {
            ShareError::Server(format!(
                "{} broke off ({e}); what changed here is sent next time",
                self.what
            ))
        })
    }

    /// The next CBOR frame, answering the server's pings on the way; `None` once `until` passes
    /// without one.
    fn receive(&mut self, until: Instant) -> Result<Option<Value>, ShareError> {
        loop {
            if Instant::now() >= until {
                return Ok(None);
            }
            match self.socket.read() {
                Ok(Message::Binary(bytes)) => {
                    return ciborium::from_reader::<Value, _>(&bytes[..])
                        .map(Some)
                        .map_err(|e| ShareError::Server(format!("{} sent a frame that is not CBOR ({e})", self.what)));
                }
                Ok(Message::Close(_)) => {
                    return Err(ShareError::Server(format!("{} closed the connection", self.what)));
                }
                Ok(_) => continue,
                // The read woke to check the time (tungstenite resumes a frame read in part).
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(e) => {
                    return Err(ShareError::Server(format!(
                        "{} broke off ({e}); what changed here is sent next time",
                        self.what
                    )))
                }
            }
        }
    }

    fn silent(&self) -> ShareError {
        ShareError::Server(format!(
            "{} stopped answering; what changed here is sent next time",
            self.what
        ))
    }

    fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_address_reads_back_and_bad_ones_say_why() {
        let a = Address::new_on("ws://127.0.0.1:3030/").unwrap();
        assert_eq!(Address::parse(&a.text()).unwrap(), a);
        assert!(a.text().starts_with("ws://127.0.0.1:3030/#automerge:"));
        assert_eq!(a.socket.fragment(), None);
        for bad in [
            "http://example.org/#automerge:x",
            "ws://127.0.0.1:3030/",
            "ws://127.0.0.1:3030/#automerge:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "ws:///#automerge:x",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
        // A character changed in the id fails its check.
        let text = a.text();
        let last = text.chars().last().unwrap();
        let swapped = format!("{}{}", &text[..text.len() - 1], if last == 'a' { 'b' } else { 'a' });
        assert!(Address::parse(&swapped).is_err());
    }

    #[test]
    fn frames_are_cbor_maps_with_text_keys_and_bytes() {
        let bytes = frame(&[
            ("type", Value::Text("sync".into())),
            ("data", Value::Bytes(vec![1, 2, 3])),
        ]);
        let back: Value = ciborium::from_reader(&bytes[..]).unwrap();
        assert_eq!(text_field(&back, "type").as_deref(), Some("sync"));
        assert_eq!(bytes_field(&back, "data"), Some(vec![1, 2, 3]));
        assert_eq!(text_field(&back, "data"), None);
    }
}
