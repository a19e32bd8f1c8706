//! Streaming an episode from its URL: playback starts before the file has arrived, a seek ahead
//! asks for just that part (HTTP Range), a server without Range still plays, a dropped
//! connection is picked up where it stopped, a dead or stalled server gives a clear error, and
//! the output thread plays silence (buffering) instead of waiting on the network. The engine keeps
//! answering while a stream opens, and only the stream last asked for is played. A seek into a
//! part that has not arrived waits for it without holding up pause, the position or the output.

mod common;
use earmark_test_support::media_server;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{encode, hum_with_click, write_wav};
use earmark_player::engine::{Command, Engine, Event, Media, Status};
use earmark_player::stream::{self, HttpStream, StreamConfig, StreamHandle, StreamInfo};
use earmark_player::{MediaDecoder, PlayError, Playback, State};
use media_server::{Behaviour, MediaServer};

const RATE: u32 = 44_100;

/// A 60-second MP3 (about 1 MB at 128 kbit/s) with a click at 45 s.
fn episode(dir: &Path, ext: &str) -> Vec<u8> {
    let wav = dir.join("ep.wav");
    write_wav(&wav, RATE, 1, &hum_with_click(RATE, 60.0, 45.0));
    std::fs::read(encode(&wav, ext)).expect("read encoded")
}

/// A fresh 60-second episode in `ext` and a local server sending it as `how` says; the folder
/// holds the episode until dropped.
fn serve(ext: &str, how: Behaviour) -> (tempfile::TempDir, Vec<u8>, MediaServer) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = episode(dir.path(), ext);
    let server = MediaServer::start(bytes.clone(), how);
    (dir, bytes, server)
}

fn quick() -> StreamConfig {
    StreamConfig {
        stall_timeout: Duration::from_secs(3),
        ..StreamConfig::default()
    }
}

fn open(url: &str, ext: &str, cfg: StreamConfig) -> Result<(MediaDecoder, StreamHandle, StreamInfo), PlayError> {
    let (stream, handle, info) = HttpStream::open(url, cfg)?;
    let mut decoder = MediaDecoder::from_source(Box::new(stream), Some(ext), info.content_type.as_deref())?;
    // As the engine does for streams: seek by estimated byte position, not by reading every frame.
    decoder.set_coarse_seeks(true);
    Ok((decoder, handle, info))
}

/// Decodes `secs` of audio (or to the end).
fn take(decoder: &mut MediaDecoder, secs: f64) -> Vec<f32> {
    let want = (secs * RATE as f64) as usize * decoder.channels().max(1);
    let mut out = Vec::with_capacity(want);
    let mut buf = vec![0.0; 4096];
    while out.len() < want {
        let n = decoder.read(&mut buf[..(want - out.len()).min(4096)]);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn local(dir: &Path, bytes: &[u8], ext: &str) -> MediaDecoder {
    let path = dir.join(format!("local.{ext}"));
    std::fs::write(&path, bytes).expect("write local copy");
    MediaDecoder::open(&path).expect("open local copy")
}

#[test]
fn playback_starts_long_before_the_file_has_arrived() {
    // 200 kB/s: the whole file takes about 5 s to arrive.
    let (dir, bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(200_000),
            content_type: Some("audio/mpeg".into()),
            ..Behaviour::default()
        },
    );
    let len = bytes.len() as u64;
    let began = Instant::now();
    let (mut decoder, handle, info) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    assert_eq!(info.len, Some(len));
    assert!(info.ranges);
    let first = take(&mut decoder, 1.0);
    let first_audio = began.elapsed();
    let fetched = handle.stats().fetched;
    assert_eq!(first.len(), RATE as usize, "a whole second decoded");
    assert!(
        first_audio < Duration::from_millis(1500),
        "first second of audio after {first_audio:?}"
    );
    assert!(fetched < len / 2, "only {fetched} of {len} bytes were needed to start");
    // The streamed audio is the file's audio.
    let mut reference = local(dir.path(), &bytes, "mp3");
    assert_eq!(first, take(&mut reference, 1.0));
}

#[test]
fn a_seek_ahead_asks_for_that_part_and_lands_on_time() {
    let (_dir, bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(150_000),
            ..Behaviour::default()
        },
    );
    let len = bytes.len() as u64;
    let (mut decoder, handle, _) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    take(&mut decoder, 0.5);
    let began = Instant::now();
    let reached = decoder.seek(Duration::from_secs(44)).expect("seek ahead");
    let after_seek = take(&mut decoder, 2.0);
    let took = began.elapsed();
    // The seek lands within 50 ms of 44 s, and the click at 45 s is heard a second later.
    let off = (reached.as_secs_f64() - 44.0).abs();
    assert!(off < 0.05, "landed at {reached:?}");
    let click_at =
        reached.as_secs_f64() + common::click_offset(&after_seek, 1, RATE).expect("the click at 45 s is heard");
    assert!((click_at - 45.0).abs() < 0.05, "click heard at {click_at:.3} s");
    // Reaching 44 s by fetching everything before it would take ~5 s at this rate.
    assert!(
        took < Duration::from_millis(2500),
        "seek and 2 s of audio took {took:?}"
    );
    let jumped = server.range_starts().into_iter().any(|n| n > len / 2);
    assert!(
        jumped,
        "a Range request into the second half: {:?}",
        server.ranges_asked()
    );
    assert!(handle.stats().ranged >= 1);
}

#[test]
fn a_server_without_range_support_still_plays_and_seeks() {
    let (_dir, _bytes, server) = serve("mp3", Behaviour::default());
    let (mut decoder, handle, info) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    assert!(!info.ranges);
    let reached = decoder.seek(Duration::from_secs(40)).expect("seek waits for the bytes");
    let heard = take(&mut decoder, 6.0);
    assert!((reached.as_secs_f64() - 40.0).abs() < 0.05, "landed at {reached:?}");
    let click_at = reached.as_secs_f64() + common::click_offset(&heard, 1, RATE).expect("the click at 45 s");
    assert!((click_at - 45.0).abs() < 0.05, "click heard at {click_at:.3} s");
    assert_eq!(
        handle.stats().ranged,
        0,
        "no Range request to a server that ignores them"
    );
}

#[test]
fn a_dropped_connection_is_picked_up_where_it_stopped() {
    let (dir, bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            cut_first_after: Some(100_000),
            ..Behaviour::default()
        },
    );
    let (mut decoder, handle, _) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    let all = take(&mut decoder, 120.0);
    assert!(decoder.damage().is_none(), "no damage: {:?}", decoder.damage());
    let mut reference = local(dir.path(), &bytes, "mp3");
    assert_eq!(all, take(&mut reference, 120.0), "every sample, as from the file");
    let stats = handle.stats();
    assert!(stats.ranged >= 1, "the second request resumes with a Range: {stats:?}");
    assert!(stats.complete);
    assert!(
        stats.fetched < bytes.len() as u64 + 200_000,
        "little fetched twice: {stats:?}"
    );
    // The whole file can be kept, byte for byte.
    let kept = dir.path().join("kept.mp3");
    assert_eq!(handle.save_complete(&kept).expect("save"), Some(bytes.len() as u64));
    assert_eq!(std::fs::read(&kept).expect("read kept"), bytes);
}

#[test]
fn a_stream_of_unknown_length_plays_to_its_end() {
    let (dir, bytes, server) = serve(
        "mp3",
        Behaviour {
            no_length: true,
            ..Behaviour::default()
        },
    );
    let (mut decoder, handle, info) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    assert_eq!(info.len, None);
    let all = take(&mut decoder, 120.0);
    assert!(decoder.damage().is_none(), "{:?}", decoder.damage());
    let mut reference = local(dir.path(), &bytes, "mp3");
    assert_eq!(all, take(&mut reference, 120.0));
    assert_eq!(handle.stats().fetched, bytes.len() as u64);
}

#[test]
fn an_m4a_with_its_index_at_the_end_streams() {
    let (dir, bytes, server) = serve(
        "m4a",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(250_000),
            ..Behaviour::default()
        },
    );
    // ffmpeg writes the `moov` index after the audio unless told otherwise: the reader must jump
    // to the end and back before it can decode anything.
    let moov = bytes.windows(4).rposition(|w| w == b"moov").expect("a moov box");
    let mdat = bytes.windows(4).position(|w| w == b"mdat").expect("an mdat box");
    assert!(moov > mdat, "the fixture keeps its index at the end");
    let began = Instant::now();
    let (mut decoder, handle, _) = open(&server.url("ep.m4a"), "m4a", quick()).expect("open stream");
    let first = take(&mut decoder, 1.0);
    let took = began.elapsed();
    let mut reference = local(dir.path(), &bytes, "m4a");
    assert_eq!(first, take(&mut reference, 1.0));
    assert!(handle.stats().ranged >= 1, "the index was fetched with a Range request");
    assert!(took < Duration::from_millis(2500), "first second after {took:?}");
}

#[test]
fn a_missing_file_or_dead_server_is_a_clear_error() {
    let server = MediaServer::start(
        Vec::new(),
        Behaviour {
            status: Some(404),
            ..Behaviour::default()
        },
    );
    match HttpStream::open(&server.url("gone.mp3"), quick()) {
        Err(PlayError::Stream(why)) => assert!(why.contains("404"), "{why}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a 404 opened"),
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let refused = HttpStream::open(&format!("http://127.0.0.1:{port}/ep.mp3"), quick());
    assert!(matches!(refused, Err(PlayError::Stream(_))));
}

#[test]
fn a_server_that_stalls_for_good_ends_playback_with_a_reason() {
    let (dir, _bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            stall_after: Some(60_000),
            ..Behaviour::default()
        },
    );
    let cfg = StreamConfig {
        stall_timeout: Duration::from_millis(400),
        retries: 1,
        ..StreamConfig::default()
    };
    let began = Instant::now();
    let (mut decoder, handle, _) = open(&server.url("ep.mp3"), "mp3", cfg).expect("open stream");
    let heard = take(&mut decoder, 60.0);
    assert!(
        heard.len() > RATE as usize && heard.len() < 30 * RATE as usize,
        "played what arrived: {} s",
        heard.len() / RATE as usize
    );
    // An incomplete stream is not kept.
    let kept = dir.path().join("kept.mp3");
    assert_eq!(handle.save_complete(&kept).expect("nothing to save"), None);
    assert!(!kept.exists());
    let damage = decoder.damage().map(str::to_owned).unwrap_or_default();
    assert!(!damage.is_empty(), "the stop is explained");
    assert!(handle.failure().is_some() || damage.contains("no data"), "{damage}");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "gave up in {:?}",
        began.elapsed()
    );
}

#[test]
fn the_output_plays_silence_while_buffering_and_never_ends_early() {
    let (_dir, _bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(40_000),
            ..Behaviour::default()
        },
    );
    let cfg = StreamConfig {
        ready_ahead: 32 * 1024,
        ..quick()
    };
    let (pipeline, _handle) = stream::open_pipeline(&server.url("ep.mp3"), cfg, 1.0).expect("open stream");
    let (playback, mut source) = Playback::headless(pipeline);
    let mut saw_buffering = false;
    let mut heard = 0usize;
    let began = Instant::now();
    // Pull two seconds of output as fast as possible, for at most 3 s of wall time.
    while heard < 2 * RATE as usize && began.elapsed() < Duration::from_secs(3) {
        let block: Vec<f32> = source.by_ref().take(512).collect();
        assert_eq!(block.len(), 512, "the source never runs dry");
        saw_buffering |= playback.buffering();
        assert_eq!(playback.state(), State::Playing, "buffering is not the end");
        if block.iter().any(|s| *s != 0.0) {
            heard += block.len();
        }
        if playback.buffering() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(saw_buffering, "pulling faster than the network reports buffering");
    assert!(heard >= 2 * RATE as usize, "audio flowed once data arrived");
}

#[test]
fn a_seek_into_a_part_not_here_yet_waits_for_it_without_holding_anyone_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    seek_waits_without_blocking(episode(dir.path(), "mp3"));
}

#[test]
fn a_seek_fetches_the_right_part_past_a_big_id3_tag() {
    // Podcast files often carry megabytes of cover art in their ID3 tag: a coarse seek counts
    // its share from the end of the tag, and so must what is fetched ahead of it.
    let dir = tempfile::tempdir().expect("temp dir");
    seek_waits_without_blocking(with_id3_padding(episode(dir.path(), "mp3"), 600_000));
}

/// `mp3` with its ID3v2 tag (if any) replaced by one of `size` bytes of padding.
fn with_id3_padding(mp3: Vec<u8>, size: u32) -> Vec<u8> {
    let syncsafe = |n: u32| {
        [
            (n >> 21) as u8 & 0x7f,
            (n >> 14) as u8 & 0x7f,
            (n >> 7) as u8 & 0x7f,
            n as u8 & 0x7f,
        ]
    };
    let old = if mp3.starts_with(b"ID3") && mp3.len() >= 10 {
        10 + mp3[6..10].iter().fold(0usize, |n, b| (n << 7) | usize::from(*b))
    } else {
        0
    };
    let mut out = b"ID3\x03\x00\x00".to_vec();
    out.extend(syncsafe(size));
    out.resize(10 + size as usize, 0);
    out.extend_from_slice(&mp3[old..]);
    out
}

/// Plays `mp3` from a server that answers any later range only after 1.5 s, seeks to 44 s,
/// and checks that nobody waited on the network meanwhile: not the caller, not the output.
fn seek_waits_without_blocking(mp3: Vec<u8>) {
    let server = MediaServer::start(
        mp3,
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(150_000),
            ranged_delay: Some(Duration::from_millis(1500)),
            ..Behaviour::default()
        },
    );
    let (pipeline, _handle) = stream::open_pipeline(&server.url("ep.mp3"), quick(), 1.0).expect("open stream");
    let channels = pipeline.channels().max(1);
    let (playback, mut source) = Playback::headless(pipeline);
    // Half a second from the start.
    let mut heard = 0;
    let began = Instant::now();
    while heard < RATE as usize / 2 && began.elapsed() < Duration::from_secs(5) {
        let block: Vec<f32> = source.by_ref().take(512).collect();
        heard += block.iter().filter(|s| **s != 0.0).count() / channels;
        if playback.buffering() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(heard >= RATE as usize / 2, "the start played");

    let asked = Instant::now();
    let landed = playback.seek(Duration::from_secs(44)).expect("seek");
    let took = asked.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "the seek waited for the network: {took:?}"
    );
    assert_eq!(landed, Duration::from_secs(44));
    assert_eq!(
        playback.position(),
        Duration::from_secs(44),
        "the position shows where it goes"
    );
    assert!(playback.buffering(), "the listener is told it is buffering");
    // Pause and resume are answered meanwhile: nobody holds the playback waiting on the network.
    let t = Instant::now();
    playback.pause();
    assert_eq!(playback.state(), State::Paused);
    playback.resume();
    assert!(t.elapsed() < Duration::from_millis(100), "pause took {:?}", t.elapsed());

    // Silence until that part arrives, then 44 s on: when the click at 45 s is heard, the
    // position says 45 s.
    let mut silent_first = 0;
    let mut heard_any = false;
    let mut click_at = None;
    let began = Instant::now();
    let mut longest_pull = Duration::ZERO;
    while click_at.is_none() && began.elapsed() < Duration::from_secs(10) {
        let pulled = Instant::now();
        let block: Vec<f32> = source.by_ref().take(512).collect();
        longest_pull = longest_pull.max(pulled.elapsed());
        assert_eq!(block.len(), 512, "the source never runs dry");
        if block.iter().all(|s| *s == 0.0) {
            silent_first += usize::from(!heard_any);
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        heard_any = true;
        if block.iter().any(|s| s.abs() > 0.5) {
            click_at = Some(playback.position());
        }
    }
    assert!(silent_first > 0, "the part was not there yet: silence came first");
    let click_at = click_at.expect("the click at 45 s is heard");
    // The seek was made once its bytes were here: the output never waited for another request.
    assert!(
        longest_pull < Duration::from_millis(700),
        "a pull waited {longest_pull:?} on the network"
    );
    assert!(
        (click_at.as_secs_f64() - 45.0).abs() < 0.15,
        "the click was heard at {click_at:?}"
    );
}

/// The first status within `within` for which `ok` holds; panics with the last one seen.
fn wait_for(rx: &mpsc::Receiver<Status>, within: Duration, ok: impl Fn(&Status) -> bool) -> Status {
    let until = Instant::now() + within;
    let mut last = None;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(s) if ok(&s) => return s,
            Ok(s) => last = Some(s),
            Err(_) => break,
        }
    }
    panic!("no such status within {within:?}; last: {last:?}");
}

/// An engine whose status ticks arrive on the returned channel.
fn engine_with_ticks() -> (Engine, mpsc::Receiver<Status>) {
    let (tx, rx) = mpsc::channel();
    let engine = Engine::spawn(move |e| {
        if let Event::Tick(s) = e {
            let _ = tx.send(s);
        }
    });
    (engine, rx)
}

#[test]
fn the_player_keeps_answering_while_a_stream_opens() {
    // The server sends its headers, then nothing: the stream cannot be probed.
    let server = MediaServer::start(
        vec![0u8; 1_000_000],
        Behaviour {
            ranges: true,
            stall_after: Some(0),
            ..Behaviour::default()
        },
    );
    let (engine, rx) = engine_with_ticks();
    engine.send(Command::Play {
        tag: 7,
        media: Media::Url {
            url: server.url("ep.mp3"),
            cache_dir: None,
            guard: None,
        },
        start: Duration::from_secs(30),
        title: "Slow server".into(),
        paused: false,
        effects: Default::default(),
    });
    // Status ticks keep coming and say what is happening.
    let opening = wait_for(&rx, Duration::from_secs(2), |s| s.tag == Some(7));
    assert!(opening.buffering && opening.streaming, "{opening:?}");
    assert_eq!(opening.position, Duration::from_secs(30));
    // Pause and stop are answered at once, though the server never answers.
    let asked = Instant::now();
    engine.send(Command::Pause);
    let paused = wait_for(&rx, Duration::from_secs(1), |s| s.state == Some(State::Paused));
    assert_eq!(paused.tag, Some(7));
    engine.send(Command::Stop);
    wait_for(&rx, Duration::from_secs(1), |s| s.tag.is_none());
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        asked.elapsed()
    );
}

#[test]
fn an_earlier_stream_that_opens_late_does_not_cancel_the_one_asked_for_after_it() {
    // The first episode's server answers at once (with an error); the second one's trickles, so
    // the first answer arrives while the second is still opening.
    let first = MediaServer::start(
        vec![0u8; 1_000],
        Behaviour {
            status: Some(404),
            ..Behaviour::default()
        },
    );
    let (_dir, _, second) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(40_000),
            ..Behaviour::default()
        },
    );
    let (tx, rx) = mpsc::channel();
    let engine = Engine::spawn(move |e| {
        let _ = tx.send(e);
    });
    for (tag, server) in [(1, &first), (2, &second)] {
        engine.send(Command::Play {
            tag,
            media: Media::Url {
                url: server.url("ep.mp3"),
                cache_dir: None,
                guard: None,
            },
            start: Duration::ZERO,
            title: format!("Episode {tag}"),
            paused: false,
            effects: Default::default(),
        });
    }
    // The second episode, once open, plays; on a machine with no sound device the engine says so
    // instead. Either way its open was acted on: a dropped one leaves the player idle and silent.
    let until = Instant::now() + Duration::from_secs(10);
    let mut last = None;
    let acted_on = loop {
        let Some(left) = until.checked_duration_since(Instant::now()) else {
            break false;
        };
        match rx.recv_timeout(left) {
            // While it opens the status already names it, buffering.
            Ok(Event::Tick(s)) if s.tag == Some(2) && s.state == Some(State::Playing) && !s.buffering => break true,
            Ok(Event::NoOutput(_)) => break true,
            Ok(e) => last = Some(format!("{e:?}")),
            Err(_) => break false,
        }
    };
    assert!(acted_on, "the second episode's open was dropped; last event: {last:?}");
}

/// Resolves `public.test` to the fixture server and every other name to nothing: a guard's
/// resolver, as a shell builds one from its address rules.
struct PinnedResolver(std::net::SocketAddr);

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = (name.as_str() == "public.test").then_some(self.0);
        Box::pin(async move {
            match found {
                Some(addr) => {
                    let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(addr));
                    Ok(addrs)
                }
                None => Err("resolves only to addresses this stream may not use".into()),
            }
        })
    }
}

#[test]
fn a_guarded_stream_connects_only_where_its_guard_allows() {
    let (_dir, _bytes, server) = serve("mp3", Behaviour::default());
    let direct = server.url("ep.mp3");
    let addr: std::net::SocketAddr = direct
        .trim_start_matches("http://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("server address");
    let guarded = || StreamConfig {
        guard: Some(stream::StreamGuard::new(
            std::sync::Arc::new(PinnedResolver(addr)),
            |u: &reqwest::Url| u.host_str() != Some("127.0.0.1"),
        )),
        ..quick()
    };
    // An address the guard refuses is never asked.
    match HttpStream::open(&direct, guarded()) {
        Err(PlayError::Stream(why)) => assert!(why.contains("refused"), "{why}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a refused address opened"),
    }
    // A name the resolver refuses fails with its reason.
    match HttpStream::open(&direct.replace("127.0.0.1", "lan.test"), guarded()) {
        Err(PlayError::Stream(why)) => assert!(why.contains("may not use"), "{why}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a refused name opened"),
    }
    assert!(server.ranges_asked().is_empty(), "the server was asked");
    // A name the resolver allows streams through it.
    let (mut decoder, _handle, _info) =
        open(&direct.replace("127.0.0.1", "public.test"), "mp3", guarded()).expect("opens");
    assert!(!take(&mut decoder, 1.0).is_empty());
}

/// The picture of a streamed video episode reads the engine's own copy: a second reader gets the
/// file's exact bytes as they arrive, waits (boundedly) for bytes not here yet, never moves where
/// the worker fetches, and cannot keep the stream alive once the player lets it go.
#[test]
fn a_second_reader_shares_the_stream_without_steering_it() {
    let (_dir, bytes, server) = serve(
        "mp3",
        Behaviour {
            ranges: true,
            bytes_per_sec: Some(400_000),
            content_type: Some("audio/mpeg".into()),
            ..Behaviour::default()
        },
    );
    let len = bytes.len() as u64;
    let (mut decoder, handle, _) = open(&server.url("ep.mp3"), "mp3", quick()).expect("open stream");
    assert_eq!(handle.file_len(), Some(len));
    let watch = handle.watch();
    let reader = watch.upgrade().expect("the stream is alive");
    // The last byte is seconds away at this rate: a short wait for it times out.
    let early = reader.read_fetched(len - 1, &mut [0u8; 1], Duration::from_millis(50));
    assert_eq!(early.map_err(|e| e.kind()), Err(std::io::ErrorKind::TimedOut));
    let second = std::thread::spawn(move || {
        let (mut out, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
        loop {
            let n = reader
                .read_fetched(out.len() as u64, &mut buf, Duration::from_secs(10))
                .expect("bytes arrive");
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    });
    assert_eq!(take(&mut decoder, 1.0).len(), RATE as usize);
    let got = second.join().expect("the second reader");
    assert!(
        got == bytes,
        "the second reader read {} bytes, not the file's {len}",
        got.len()
    );
    assert_eq!(handle.stats().ranged, 0, "no request started anywhere but the top");
    drop(decoder);
    drop(handle);
    let deadline = Instant::now() + Duration::from_secs(5);
    while watch.upgrade().is_some() {
        assert!(Instant::now() < deadline, "the watch kept the stream alive");
        std::thread::sleep(Duration::from_millis(20));
    }
}
