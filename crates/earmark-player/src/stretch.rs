//! Pitch-preserving speed change (WSOLA: waveform-similarity overlap-add).
//!
//! Podcast listeners play speech at 0.5x–3x; plain resampling would turn voices into chipmunks or
//! growls, so instead the input is cut into short Hann-windowed segments that are laid down at a
//! fixed output hop while the read position advances `speed` times faster. Each new segment is
//! taken from wherever, within ±10 ms of its nominal place, it best continues the waveform that
//! the previous segment was playing (normalised cross-correlation), so the overlap-add joins
//! periods in phase and the pitch stays put.
//!
//! How it works, in absolute input frames (counted from the last reset):
//! - segment `k` reads `x[p_k .. p_k + N]`, windowed by a periodic Hann window of `N` frames;
//! - it is added at output hop `H = N / 2`, so the falling half of segment `k - 1` (which is
//!   simply `x[p_{k-1} + H .. p_{k-1} + N]`, no copy needed) and the rising half of segment `k`
//!   make `H` finished output frames, and the two weights always sum to 1;
//! - the nominal read position advances `H * speed` per segment; `p_k` is the nominal position
//!   plus the best offset found by the similarity search;
//! - a virtual segment at `origin - H` makes the first `H` output frames equal the input, so the
//!   stream starts without a fade-in and switching from pass-through into WSOLA is seamless.
//!
//! At speed exactly 1.0 the samples bypass all of this and come out bit-exact.

/// Slowest speed offered: below this speech falls apart into audible repetitions.
pub const MIN_SPEED: f64 = 0.5;
/// Fastest speed offered: above this even WSOLA cannot keep speech intelligible.
pub const MAX_SPEED: f64 = 3.0;

/// Analysis window length: long enough to hold a couple of voice periods, short enough that
/// transients do not smear.
const WINDOW_SECONDS: f64 = 0.025;
/// How far from the nominal position the similarity search may look (each way).
const SEEK_SECONDS: f64 = 0.010;
/// Target rate of the decimated mono signal used for the similarity search; speech energy that
/// matters for phase alignment lives well below its Nyquist frequency.
const SEARCH_RATE: u32 = 11_025;

/// Changes tempo without changing pitch, on interleaved f32 samples.
///
/// It exists so that the player can offer 0.5x–3.0x playback with natural-sounding voices, in a
/// streaming fashion (push decoded packets in, pull device-ready samples out) with bounded memory
/// and a cost of a few tens of milliseconds of CPU per minute of audio.
#[derive(Debug, Clone)]
pub struct Stretcher {
    channels: usize,
    speed: f64,
    /// Periodic Hann window of `n` frames; `win[i] + win[i + hop] == 1`.
    win: Vec<f32>,
    /// Window length in frames (even).
    n: usize,
    /// Output hop (= overlap) in frames, `n / 2`.
    hop: usize,
    /// Search radius in frames.
    delta: usize,
    /// Decimation factor of the search signal.
    dec: usize,
    /// Number of decimated points compared per candidate.
    cmp_len: usize,

    /// Buffered input (interleaved, sanitised), starting at absolute frame `base`.
    buf: Vec<f32>,
    base: i64,
    /// Samples of an incomplete frame, kept until the rest of the frame arrives.
    partial: Vec<f32>,

    /// True while WSOLA is active (speed != 1.0 when the mode was last chosen).
    wsola: bool,
    /// First input frame of the current WSOLA run; nothing before it is read.
    origin: i64,
    /// Start of the last segment laid down (`origin - hop` for the virtual one).
    last_pos: i64,
    /// Nominal (unsearched) start of the next segment.
    next_nominal: f64,
    /// The next segment is the first of a run: it continues the virtual segment exactly.
    fresh: bool,

    /// Finished output not yet pulled.
    out_q: Vec<f32>,
    /// Input position the produced output has reached.
    produced_pos: f64,
    /// Input position the pulled output has reached.
    pulled_pos: f64,
    finished: bool,

    /// Scratch buffers for the search, kept to avoid allocating per segment.
    scratch_ref: Vec<f32>,
    scratch_mono: Vec<f32>,
    scratch_cand: Vec<f32>,
    scratch_energy: Vec<f64>,
}

/// NaN and infinities from a broken decoder would otherwise spread through the overlap-add into
/// every later sample; silence is the least harmful replacement.
fn sanitise(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// Clamps a requested speed to the supported range; a non-finite request means "normal speed".
fn sanitise_speed(speed: f64) -> f64 {
    if speed.is_finite() {
        speed.clamp(MIN_SPEED, MAX_SPEED)
    } else {
        1.0
    }
}

/// Returns `(sum a*b, sum b*b)` with eight independent accumulators so the compiler vectorises it.
fn corr_energy(a: &[f32], b: &[f32]) -> (f32, f32) {
    let mut xy = [0.0f32; 8];
    let mut yy = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (((sxy, syy), &xv), &yv) in xy.iter_mut().zip(yy.iter_mut()).zip(x).zip(y) {
            *sxy += xv * yv;
            *syy += yv * yv;
        }
    }
    let mut sxy: f32 = xy.iter().sum();
    let mut syy: f32 = yy.iter().sum();
    for (&xv, &yv) in ra.iter().zip(rb) {
        sxy += xv * yv;
        syy += yv * yv;
    }
    (sxy, syy)
}

/// Plain dot product with eight independent accumulators (vectorisable).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &xv), &yv) in acc.iter_mut().zip(x).zip(y) {
            *s += xv * yv;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (&xv, &yv) in ra.iter().zip(rb) {
        sum += xv * yv;
    }
    sum
}

/// Similarity of candidate `b` to reference `a`: correlation normalised by the candidate's energy
/// (the reference's energy is the same for every candidate, so it is left out).
fn score(a: &[f32], b: &[f32]) -> f32 {
    let (xy, yy) = corr_energy(a, b);
    xy / (yy + 1e-9).sqrt()
}

impl Stretcher {
    /// Creates a stretcher for a stream of `channels` interleaved channels at `sample_rate`.
    ///
    /// The window and search sizes are derived from the sample rate so they mean the same
    /// duration at any rate. Out-of-range arguments are corrected rather than rejected (channels
    /// and rate at least 1, speed clamped to 0.5..=3.0, non-finite speed = 1.0) because a player
    /// must never fail to play over a speed setting.
    pub fn new(channels: usize, sample_rate: u32, speed: f64) -> Self {
        let channels = channels.max(1);
        let rate = f64::from(sample_rate.max(1));
        let n = (((rate * WINDOW_SECONDS).round() as usize).max(16) + 1) & !1;
        let hop = n / 2;
        let delta = ((rate * SEEK_SECONDS).round() as usize).max(2);
        let dec = (sample_rate / SEARCH_RATE).clamp(1, 4) as usize;
        let cmp_len = (hop / dec).max(1);
        let win = (0..n)
            .map(|i| {
                let phase = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        let speed = sanitise_speed(speed);
        let mut s = Self {
            channels,
            speed,
            win,
            n,
            hop,
            delta,
            dec,
            cmp_len,
            buf: Vec::new(),
            base: 0,
            partial: Vec::new(),
            wsola: false,
            origin: 0,
            last_pos: 0,
            next_nominal: 0.0,
            fresh: true,
            out_q: Vec::new(),
            produced_pos: 0.0,
            pulled_pos: 0.0,
            finished: false,
            scratch_ref: Vec::new(),
            scratch_mono: Vec::new(),
            scratch_cand: Vec::new(),
            scratch_energy: Vec::new(),
        };
        s.reset();
        s
    }

    /// The speed in effect after clamping, so the UI can show what is actually played.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Changes speed mid-stream without a click (takes effect from the next segment).
    ///
    /// Between two stretched speeds only the advance of the read position changes, so the
    /// overlap-add stays continuous. Leaving 1.0 starts a WSOLA run whose first segment continues
    /// the passed-through samples exactly; returning to 1.0 resumes pass-through right where the
    /// last segment's fading half would have continued, so no sample is skipped or doubled at
    /// the join. After `finish` only the stored speed changes (there is nothing left to play).
    pub fn set_speed(&mut self, speed: f64) {
        let speed = sanitise_speed(speed);
        self.speed = speed;
        if self.finished {
            return;
        }
        let unity = speed == 1.0;
        if self.wsola && unity {
            self.enter_passthrough();
        } else if !self.wsola && !unity {
            self.enter_wsola();
        }
    }

    /// Feeds interleaved input samples (any length, multiple of `channels` guaranteed by the caller).
    ///
    /// Work happens here, as soon as enough input is buffered, so the input buffer stays at a few
    /// windows however large the push; the finished output waits in a queue for `pull`. The
    /// result does not depend on how the input is split into pushes. A trailing incomplete frame
    /// is held back until completed. Non-finite samples are replaced by 0. Input pushed after
    /// `finish` is ignored until `reset`.
    pub fn push(&mut self, input: &[f32]) {
        if self.finished {
            return;
        }
        let c = self.channels;
        let mut rest = input;
        if !self.partial.is_empty() {
            let take = (c - self.partial.len()).min(rest.len());
            let (head, tail) = rest.split_at(take);
            self.partial.extend_from_slice(head);
            rest = tail;
            if self.partial.len() < c {
                return;
            }
            let frame = std::mem::take(&mut self.partial);
            self.push_frames(&frame);
            self.partial = frame;
            self.partial.clear();
        }
        let whole = rest.len() / c * c;
        let (frames, tail) = rest.split_at(whole);
        if self.wsola {
            // Bounded chunks keep the input buffer small even for a 100k-frame push.
            for chunk in frames.chunks(self.n * c) {
                self.push_frames(chunk);
            }
        } else {
            self.push_frames(frames);
        }
        self.partial.extend_from_slice(tail);
    }

    /// Appends every output sample that is ready to `out` (interleaved); returns how many samples were appended.
    ///
    /// Appending (rather than filling a fixed slice) lets the caller batch output cheaply; the
    /// queue is emptied, so memory held here is only what was produced since the last pull.
    pub fn pull(&mut self, out: &mut Vec<f32>) -> usize {
        let count = self.out_q.len();
        out.extend_from_slice(&self.out_q);
        self.out_q.clear();
        self.pulled_pos = self.produced_pos;
        count
    }

    /// Marks the end of input: flushes what is buffered so all input comes out (stretched).
    ///
    /// Without this the last ~35 ms (window plus search radius) would stay behind waiting for
    /// input that never comes. Missing input past the end is treated as silence, and the output
    /// is cut where the nominal read position reaches the end, so the total output length is
    /// the input length divided by the speed (to within a few milliseconds).
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.partial.clear();
        if self.wsola {
            self.process(true);
            let end = self.avail() as f64;
            if self.produced_pos > end {
                self.produced_pos = end;
            }
            self.base = self.avail();
            self.buf.clear();
        }
    }

    /// Drops all buffered state (after a seek).
    ///
    /// Samples from before a seek must not be overlap-added into samples after it; the speed
    /// is kept, and positions (see `input_frames_consumed`) restart from 0, i.e. from the seek
    /// target.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.base = 0;
        self.partial.clear();
        self.out_q.clear();
        self.produced_pos = 0.0;
        self.pulled_pos = 0.0;
        self.finished = false;
        self.wsola = false;
        if self.speed != 1.0 {
            self.enter_wsola();
        }
    }

    /// How far into the input the output returned by `pull` has reached, in frames since the
    /// last `reset` (or creation), so the player can show the episode position while playing at
    /// speed: position = seek target + this / sample rate.
    ///
    /// Precisely: at speed 1.0 it is the number of frames pulled. Under WSOLA, every `H` output
    /// frames advance it by `H × speed` (the nominal read position, which the actual read
    /// position never strays from by more than the 10 ms search radius); when pass-through is
    /// resumed it jumps to the exact resume frame; after `finish` and the final `pull` it equals
    /// the number of input frames pushed. Output produced but not yet pulled is not counted, and
    /// neither is input still buffered.
    pub fn input_frames_consumed(&self) -> u64 {
        self.pulled_pos.max(0.0).round() as u64
    }

    /// One past the last complete input frame buffered.
    fn avail(&self) -> i64 {
        self.base + (self.buf.len() / self.channels) as i64
    }

    /// Starts a WSOLA run at the current end of input (the buffer is empty in pass-through).
    fn enter_wsola(&mut self) {
        let at = self.avail();
        self.buf.clear();
        self.base = at;
        self.origin = at;
        self.last_pos = at - self.hop as i64;
        self.next_nominal = at as f64;
        self.fresh = true;
        self.wsola = true;
    }

    /// Ends a WSOLA run: the last segment's fading half would continue with
    /// `x[last_pos + hop ..]`, and fading half plus its natural continuation is the input itself,
    /// so pass-through resumes exactly there.
    fn enter_passthrough(&mut self) {
        let resume = (self.last_pos + self.hop as i64).max(self.base);
        let end = self.avail();
        if resume < end {
            let from = (resume - self.base) as usize * self.channels;
            if let Some(rest) = self.buf.get(from..) {
                self.out_q.extend_from_slice(rest);
            }
        }
        self.produced_pos = end.max(resume) as f64;
        self.buf.clear();
        self.base = end;
        self.wsola = false;
    }

    /// Takes whole, bounded-size frames into the current mode.
    fn push_frames(&mut self, frames: &[f32]) {
        if self.wsola {
            self.buf.extend(frames.iter().map(|&x| sanitise(x)));
            self.process(false);
        } else {
            self.out_q.extend(frames.iter().map(|&x| sanitise(x)));
            let nf = (frames.len() / self.channels) as i64;
            self.base += nf;
            self.produced_pos += nf as f64;
        }
    }

    /// Lays down every segment whose input is complete (or, when `finishing`, every segment
    /// until the nominal position passes the end, reading silence beyond it).
    fn process(&mut self, finishing: bool) {
        let hop = self.hop as i64;
        loop {
            let end = self.avail();
            let nominal = self.next_nominal.round() as i64;
            if finishing {
                if self.next_nominal >= end as f64 {
                    break;
                }
            } else if nominal + (self.delta + self.n) as i64 > end {
                break;
            }
            let pos = if self.fresh {
                nominal.max(self.origin)
            } else {
                self.search(nominal)
            };
            let frames = if finishing {
                let left = ((end as f64 - self.next_nominal) / self.speed).ceil();
                (left.max(1.0) as usize).min(self.hop)
            } else {
                self.hop
            };
            self.overlap_add(pos, frames);
            self.last_pos = pos;
            self.fresh = false;
            self.next_nominal += self.hop as f64 * self.speed;
            self.produced_pos = self.next_nominal;
            // Keep what the next search and the fading half still need.
            let keep = (self.next_nominal.round() as i64 - self.delta as i64)
                .min(self.last_pos + hop)
                .max(self.origin)
                .max(self.base)
                .min(end);
            let drop = (keep - self.base) as usize;
            if drop >= self.n {
                let samples = (drop * self.channels).min(self.buf.len());
                self.buf.drain(..samples);
                self.base += (samples / self.channels) as i64;
            }
        }
    }

    /// Mono mix of one input frame; silence outside the buffer.
    fn mono(&self, frame: i64) -> f32 {
        if frame < self.base {
            return 0.0;
        }
        let c = self.channels;
        let start = (frame - self.base) as usize * c;
        match self.buf.get(start..start + c) {
            Some(s) => s.iter().sum::<f32>() / c as f32,
            None => 0.0,
        }
    }

    /// Finds the segment start within ±delta of `nominal` whose opening best matches the natural
    /// continuation of the previous segment. Coarse pass on a decimated mono mix over the overlap
    /// half of the window, then a full-resolution refinement around the winner.
    fn search(&mut self, nominal: i64) -> i64 {
        let dec = self.dec as i64;
        let m = self.cmp_len;
        let lo = (nominal - self.delta as i64).max(self.origin).max(self.base);
        let hi = (nominal + self.delta as i64).max(lo);
        let ncand = ((hi - lo) / dec + 1) as usize;
        let natural = self.last_pos + self.hop as i64;

        let mut refv = std::mem::take(&mut self.scratch_ref);
        let mut mono = std::mem::take(&mut self.scratch_mono);
        let mut cand = std::mem::take(&mut self.scratch_cand);
        let mut energy = std::mem::take(&mut self.scratch_energy);
        refv.clear();
        refv.extend((0..m as i64).map(|t| self.mono(natural + t * dec)));
        mono.clear();
        mono.extend((0..(ncand + m - 1) as i64).map(|i| self.mono(lo + i * dec)));

        // Candidate energies from a running sum, so the coarse pass costs one dot product each.
        energy.clear();
        let mut acc = 0.0f64;
        energy.push(acc);
        for &v in &mono {
            acc += f64::from(v) * f64::from(v);
            energy.push(acc);
        }
        let eval = |j: usize| -> f32 {
            match (mono.get(j..j + m), energy.get(j), energy.get(j + m)) {
                (Some(b), Some(&e0), Some(&e1)) => {
                    let e = ((e1 - e0).max(0.0) + 1e-9).sqrt();
                    (f64::from(dot(&refv, b)) / e) as f32
                }
                _ => f32::MIN,
            }
        };
        // Start from the nominal position so silence (all scores equal) does not wander.
        let j0 = (((nominal - lo) / dec).max(0) as usize).min(ncand - 1);
        let mut best_j = j0;
        let mut best_s = eval(j0);
        for j in 0..ncand {
            let s = eval(j);
            if s > best_s {
                best_s = s;
                best_j = j;
            }
        }
        let coarse = lo + best_j as i64 * dec;
        let mut best = coarse;
        if dec > 1 {
            // Re-score the winner the same way as its neighbours so the comparison is fair.
            best_s = mono.get(best_j..best_j + m).map_or(f32::MIN, |b| score(&refv, b));
            let from = (coarse - dec + 1).max(lo);
            let to = (coarse + dec - 1).min(hi);
            for c in from..=to {
                if c == coarse {
                    continue;
                }
                cand.clear();
                cand.extend((0..m as i64).map(|t| self.mono(c + t * dec)));
                let s = score(&refv, &cand);
                if s > best_s {
                    best_s = s;
                    best = c;
                }
            }
        }
        self.scratch_ref = refv;
        self.scratch_mono = mono;
        self.scratch_cand = cand;
        self.scratch_energy = energy;
        best
    }

    /// Emits `frames` output frames: the fading half of the previous segment plus the rising half
    /// of the segment starting at `pos`, on every channel.
    fn overlap_add(&mut self, pos: i64, frames: usize) {
        let c = self.channels;
        let hop = self.hop;
        let tail = self.last_pos + hop as i64;
        let end = self.avail();
        let frames = frames.min(hop);
        let w_rise = &self.win[..frames];
        let w_fall = &self.win[hop..hop + frames];
        let span = frames as i64;
        if tail >= self.base && pos >= self.base && tail + span <= end && pos + span <= end {
            // Fast path: both ranges are inside the buffer.
            let a0 = (tail - self.base) as usize * c;
            let b0 = (pos - self.base) as usize * c;
            let a = &self.buf[a0..a0 + frames * c];
            let b = &self.buf[b0..b0 + frames * c];
            for (((fa, fb), &wf), &wr) in a.chunks_exact(c).zip(b.chunks_exact(c)).zip(w_fall).zip(w_rise) {
                for (&xa, &xb) in fa.iter().zip(fb) {
                    self.out_q.push(xa * wf + xb * wr);
                }
            }
        } else {
            // Near the end of a finished stream: read silence past the input.
            let get = |frame: i64, ch: usize| -> f32 {
                if frame < self.base || frame >= end {
                    return 0.0;
                }
                let i = (frame - self.base) as usize * c + ch;
                self.buf.get(i).copied().unwrap_or(0.0)
            };
            let mut tmp = Vec::with_capacity(frames * c);
            for (i, (&wf, &wr)) in w_fall.iter().zip(w_rise).enumerate() {
                let i = i as i64;
                for ch in 0..c {
                    tmp.push(get(tail + i, ch) * wf + get(pos + i, ch) * wr);
                }
            }
            self.out_q.extend_from_slice(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 44_100;

    /// A sine per channel (each channel phase-shifted so channels differ).
    fn sine(freq: f64, frames: usize, channels: usize, amp: f32) -> Vec<f32> {
        let mut v = Vec::with_capacity(frames * channels);
        for i in 0..frames {
            for ch in 0..channels {
                let t = i as f64 / f64::from(SR);
                let ph = 2.0 * std::f64::consts::PI * freq * t + 0.7 * ch as f64;
                v.push(amp * ph.sin() as f32);
            }
        }
        v
    }

    /// Deterministic pseudo-noise plus a sweep, so the search has something non-trivial to do.
    fn speechy(frames: usize, channels: usize) -> Vec<f32> {
        let mut state: u32 = 0x1234_5678;
        let mut v = Vec::with_capacity(frames * channels);
        for i in 0..frames {
            let t = i as f64 / f64::from(SR);
            let f = 120.0 + 80.0 * (2.0 * t).sin();
            let tone = 0.5 * (2.0 * std::f64::consts::PI * f * t * 3.0).sin() as f32;
            for _ in 0..channels {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.2;
                v.push(tone + noise);
            }
        }
        v
    }

    /// Pushes `input` in chunks of the given frame sizes (cycled), pulling after each, then
    /// finishes and pulls the rest.
    fn run(st: &mut Stretcher, input: &[f32], chunk_frames: &[usize]) -> Vec<f32> {
        let c = st.channels;
        let mut out = Vec::new();
        let mut at = 0;
        let mut k = 0;
        while at < input.len() {
            let len = (chunk_frames[k % chunk_frames.len()] * c).min(input.len() - at);
            st.push(&input[at..at + len]);
            st.pull(&mut out);
            at += len;
            k += 1;
        }
        st.finish();
        st.pull(&mut out);
        out
    }

    fn stretch(input: &[f32], channels: usize, speed: f64) -> Vec<f32> {
        let mut st = Stretcher::new(channels, SR, speed);
        run(&mut st, input, &[input.len() / channels.max(1) + 1])
    }

    fn channel(x: &[f32], channels: usize, ch: usize) -> Vec<f32> {
        x.iter().skip(ch).step_by(channels).copied().collect()
    }

    /// Dominant frequency from upward zero crossings (linearly interpolated) over the middle 60%.
    fn zc_freq(x: &[f32]) -> f64 {
        let from = x.len() / 5;
        let to = x.len() - x.len() / 5;
        let mut first = None;
        let mut last = 0.0;
        let mut count = 0usize;
        for i in from + 1..to {
            let (a, b) = (f64::from(x[i - 1]), f64::from(x[i]));
            if a < 0.0 && b >= 0.0 {
                let t = (i - 1) as f64 + (-a) / (b - a);
                if first.is_none() {
                    first = Some(t);
                }
                last = t;
                count += 1;
            }
        }
        match first {
            Some(f) if count > 1 && last > f => (count - 1) as f64 * f64::from(SR) / (last - f),
            _ => 0.0,
        }
    }

    fn within(measured: f64, expected: f64, tol: f64) -> bool {
        (measured - expected).abs() <= tol * expected
    }

    #[test]
    fn unity_speed_is_bit_exact_pass_through_without_latency() {
        let input = speechy(20_000, 2);
        let mut st = Stretcher::new(2, SR, 1.0);
        let mut out = Vec::new();
        let mut at = 0;
        for (k, frames) in [1usize, 3, 1000, 7, 20_000].iter().cycle().enumerate() {
            if at >= input.len() || k > 1000 {
                break;
            }
            let len = (frames * 2).min(input.len() - at);
            st.push(&input[at..at + len]);
            // Everything pushed is available immediately.
            assert_eq!(st.pull(&mut out), len);
            at += len;
        }
        st.finish();
        assert_eq!(st.pull(&mut out), 0);
        assert_eq!(out.len(), input.len());
        assert!(out.iter().zip(&input).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(st.input_frames_consumed(), 20_000);
    }

    #[test]
    fn output_length_is_input_over_speed() {
        let frames = 22_050;
        let input = speechy(frames, 2);
        for speed in [0.5, 0.75, 1.5, 2.0, 3.0] {
            let out = stretch(&input, 2, speed);
            assert_eq!(out.len() % 2, 0);
            let got = (out.len() / 2) as f64;
            let want = frames as f64 / speed;
            assert!(within(got, want, 0.02), "speed {speed}: {got} frames, want {want}");
        }
    }

    #[test]
    fn pitch_is_preserved_mono_and_stereo() {
        for freq in [440.0, 220.0] {
            for channels in [1usize, 2] {
                let input = sine(freq, 22_050, channels, 0.8);
                for ch in 0..channels {
                    let f_in = zc_freq(&channel(&input, channels, ch));
                    assert!(within(f_in, freq, 0.005), "estimator: {f_in} vs {freq}");
                }
                for speed in [2.0, 0.5] {
                    let out = stretch(&input, channels, speed);
                    for ch in 0..channels {
                        let f_out = zc_freq(&channel(&out, channels, ch));
                        assert!(
                            within(f_out, freq, 0.02),
                            "{freq} Hz, {channels} ch, speed {speed}: output at {f_out} Hz"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn naive_resampling_fails_the_pitch_check() {
        // The same check as above, applied to plain resampling, must fail: the test has teeth.
        let freq = 440.0;
        let input = sine(freq, 44_100, 1, 0.8);
        for speed in [2.0, 0.5] {
            let n_out = (input.len() as f64 / speed) as usize;
            let resampled: Vec<f32> = (0..n_out)
                .map(|i| {
                    let pos = i as f64 * speed;
                    let j = pos.floor() as usize;
                    let frac = (pos - j as f64) as f32;
                    let a = input.get(j).copied().unwrap_or(0.0);
                    let b = input.get(j + 1).copied().unwrap_or(0.0);
                    a + (b - a) * frac
                })
                .collect();
            let f = zc_freq(&resampled);
            assert!(within(f, freq * speed, 0.02), "resampled sine at {f} Hz");
            assert!(!within(f, freq, 0.02));
        }
    }

    #[test]
    fn chunked_push_equals_one_push() {
        let input = speechy(60_000, 2);
        for speed in [0.75, 1.5, 3.0] {
            let whole = stretch(&input, 2, speed);
            let mut st = Stretcher::new(2, SR, speed);
            let chunked = run(&mut st, &input, &[1, 7, 100_000, 3, 513, 4096, 1, 1]);
            assert_eq!(whole.len(), chunked.len(), "speed {speed}");
            assert!(
                whole.iter().zip(&chunked).all(|(a, b)| a.to_bits() == b.to_bits()),
                "speed {speed}"
            );
            let mut st = Stretcher::new(2, SR, speed);
            let one_by_one = run(&mut st, &input[..8_000], &[1]);
            let mut st = Stretcher::new(2, SR, speed);
            let big = run(&mut st, &input[..8_000], &[100_000]);
            assert_eq!(one_by_one, big);
        }
    }

    #[test]
    fn input_buffer_stays_bounded() {
        let input = speechy(40_000, 2);
        let mut st = Stretcher::new(2, SR, 0.5);
        st.push(&input);
        assert!(st.buf.len() <= 8 * st.n * 2, "buffer {} samples", st.buf.len());
    }

    #[test]
    fn set_speed_mid_stream_is_smooth_and_bounded() {
        let input = sine(440.0, 88_200, 2, 0.9);
        let mut st = Stretcher::new(2, SR, 1.0);
        let mut out = Vec::new();
        let speeds = [1.0, 1.5, 0.75, 1.0, 2.0, 3.0, 0.5, 1.25, 1.0];
        for (k, chunk) in input.chunks(2 * 9_800).enumerate() {
            st.set_speed(speeds[k % speeds.len()]);
            st.push(chunk);
            st.pull(&mut out);
        }
        st.finish();
        st.pull(&mut out);
        assert!(out.len() > 44_100);
        let peak = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak <= 1.01, "peak {peak}");
        // No clicks: a 0.9 sine at 440 Hz changes by at most ~0.056 per sample.
        for ch in 0..2 {
            let x = channel(&out, 2, ch);
            let jump = x.windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()));
            assert!(jump < 0.08, "channel {ch}: jump {jump}");
        }
        assert!(within(zc_freq(&channel(&out, 2, 0)), 440.0, 0.02));
    }

    #[test]
    fn reset_clears_state() {
        let noise = speechy(30_000, 2);
        let input = sine(220.0, 20_000, 2, 0.5);
        let fresh = stretch(&input, 2, 1.5);
        let mut st = Stretcher::new(2, SR, 1.5);
        st.push(&noise);
        st.push(&[0.1]); // incomplete frame must not survive the reset
        let mut junk = Vec::new();
        st.pull(&mut junk);
        st.push(&noise[..1000]); // leaves unpulled output behind
        st.reset();
        assert_eq!(st.input_frames_consumed(), 0);
        assert_eq!(st.pull(&mut junk), 0);
        let again = run(&mut st, &input, &[333]);
        assert_eq!(fresh, again);
        // Reset also revives a finished stretcher.
        st.reset();
        assert_eq!(run(&mut st, &input, &[20_000]), fresh);
    }

    #[test]
    fn input_frames_consumed_tracks_output_times_speed() {
        let input = speechy(22_050, 1);
        for speed in [0.5, 1.5, 2.0, 3.0] {
            let mut st = Stretcher::new(1, SR, speed);
            let mut out = Vec::new();
            for chunk in input.chunks(2_205) {
                st.push(chunk);
                st.pull(&mut out);
                let want = out.len() as f64 * speed;
                let got = st.input_frames_consumed() as f64;
                assert!((got - want).abs() <= 1.0, "speed {speed}: {got} vs {want}");
            }
            st.finish();
            st.pull(&mut out);
            assert_eq!(st.input_frames_consumed(), 22_050);
        }
    }

    #[test]
    fn non_finite_input_is_sanitised() {
        let mut input = sine(440.0, 20_000, 1, 0.5);
        for x in input.iter_mut().take(5_000).skip(1_000) {
            *x = f32::NAN;
        }
        input[6_000] = f32::INFINITY;
        input[6_001] = f32::NEG_INFINITY;
        for speed in [1.0, 0.5, 2.0] {
            let out = stretch(&input, 1, speed);
            assert!(out.iter().all(|x| x.is_finite()), "speed {speed}");
            let tail = &out[out.len() * 3 / 4..];
            assert!(tail.iter().any(|x| x.abs() > 0.3), "speed {speed}: output stays dead");
        }
    }

    #[test]
    fn odd_arguments_do_not_panic() {
        assert_eq!(Stretcher::new(1, SR, 10.0).speed(), MAX_SPEED);
        assert_eq!(Stretcher::new(1, SR, 0.1).speed(), MIN_SPEED);
        assert_eq!(Stretcher::new(1, SR, f64::NAN).speed(), 1.0);
        for (channels, rate) in [(0usize, 0u32), (1, 1), (3, 8_000), (6, 192_000)] {
            for speed in [0.5, 1.0, 3.0] {
                let mut st = Stretcher::new(channels, rate, speed);
                let mut out = Vec::new();
                st.push(&[]);
                st.push(&[0.5; 7]); // not a multiple of the channel count
                st.push(&speechy(3_000, 1));
                st.set_speed(f64::INFINITY);
                st.push(&[0.25; 5]);
                st.set_speed(2.0);
                st.finish();
                st.finish();
                st.push(&[1.0; 4]);
                st.pull(&mut out);
                assert!(out.iter().all(|x| x.is_finite()));
            }
        }
    }
}
