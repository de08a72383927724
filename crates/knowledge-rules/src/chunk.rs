//! Structure first, then tokens: blocks are grouped into sections (consecutive blocks with the
//! same heading path), small neighbouring sections are merged, and a section longer than the
//! target is split by `text-splitter` at the largest semantic boundary that fits (blank line,
//! line, sentence, word), with overlap, measured by the caller's token counter.

use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};
use unicode_segmentation::UnicodeSegmentation;

use crate::extract::ExtractedDocument;

/// How large chunks should be, in the embedding model's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkingConfig {
    /// Most tokens in one chunk (chunks are filled as close to this as the text's boundaries allow).
    pub target_tokens: usize,
    /// Tokens repeated from the end of one chunk at the start of the next within a section;
    /// clamped below `target_tokens`.
    pub overlap_tokens: usize,
}

impl Default for ChunkingConfig {
    /// 400 tokens with 60 (15 %) overlap.
    fn default() -> Self {
        ChunkingConfig { target_tokens: 400, overlap_tokens: 60 }
    }
}

/// Counts tokens the way the embedding model will see them.
pub trait TokenCounter: Send + Sync {
    /// Number of tokens in `text`.
    fn count(&self, text: &str) -> usize;
}

/// A cheap, dependency-free token estimate for when no model tokenizer is configured: each run of
/// letters and digits counts `ceil(chars / 6)` (so words up to six characters are one token), each
/// punctuation or symbol character one, and each CJK or Thai-family character one. Against the
/// cl100k BPE on four English documents (a licence, two PDF manuals, an HTML man page) it came out
/// 13–15 % higher in total and 0.89–1.33× per chunk (5th–95th percentile), so a chunk can still
/// exceed the model's real limit slightly: a counter backed by the model's own tokenizer is preferred.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordPieceEstimate;

impl TokenCounter for WordPieceEstimate {
    fn count(&self, text: &str) -> usize {
        // The chunker counts the same text many times while searching for boundaries, so ASCII
        // (most text) takes a byte loop; the result is the same as the general loop's.
        if text.is_ascii() {
            return count_ascii(text.as_bytes());
        }
        let mut tokens = 0;
        let mut word_chars = 0usize;
        for c in text.chars() {
            if c.is_alphanumeric() && !is_unspaced_script(c) {
                word_chars += 1;
                continue;
            }
            tokens += word_chars.div_ceil(6);
            word_chars = 0;
            if !c.is_whitespace() {
                tokens += 1;
            }
        }
        tokens + word_chars.div_ceil(6)
    }
}

fn count_ascii(bytes: &[u8]) -> usize {
    let mut tokens = 0;
    let mut word_chars = 0usize;
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            word_chars += 1;
            continue;
        }
        tokens += word_chars.div_ceil(6);
        word_chars = 0;
        // char::is_whitespace for ASCII: space, \t, \n, \x0B, \x0C, \r.
        if !matches!(b, b' ' | b'\t'..=b'\r') {
            tokens += 1;
        }
    }
    tokens + word_chars.div_ceil(6)
}

/// Scripts written without spaces between words, where tokenizers spend about one token per character.
fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0FFF          // Thai, Lao, Tibetan
        | 0x1000..=0x109F        // Myanmar
        | 0x1780..=0x17FF        // Khmer
        | 0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xAC00..=0xD7AF        // Hangul syllables
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B–F
}

/// A piece of a document sized for embedding and retrieval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Order in the document, from 0.
    pub position: u32,
    /// The chunk's text, exactly as in the document (no heading prefix).
    pub text: String,
    /// Heading path of the section the text comes from (the shared part when small sections merged).
    pub section_path: Vec<String>,
    /// First page the text covers (PDF only).
    pub page_start: Option<u32>,
    /// Last page the text covers (PDF only).
    pub page_end: Option<u32>,
    /// The counter's count of `text`.
    pub token_count: u32,
}

/// Adapts our counter to text-splitter's sizing trait.
struct CounterSizer<'a>(&'a dyn TokenCounter);

impl ChunkSizer for CounterSizer<'_> {
    fn size(&self, chunk: &str) -> usize {
        self.0.count(chunk)
    }
}

/// Consecutive blocks with the same heading path, with the byte offset at which each page starts.
struct Section<'a> {
    path: &'a [String],
    text: String,
    pages: Vec<(usize, Option<u32>)>,
}

impl Section<'_> {
    fn page_at(&self, offset: usize) -> Option<u32> {
        let index = self.pages.partition_point(|(start, _)| *start <= offset);
        self.pages.get(index.saturating_sub(1)).and_then(|(_, page)| *page)
    }

    fn first_page(&self) -> Option<u32> {
        self.pages.first().and_then(|(_, page)| *page)
    }

    fn last_page(&self) -> Option<u32> {
        self.pages.last().and_then(|(_, page)| *page)
    }
}

fn sections(doc: &ExtractedDocument) -> Vec<Section<'_>> {
    let mut sections: Vec<Section> = Vec::new();
    for block in &doc.blocks {
        let text = block.text.trim();
        if text.is_empty() {
            continue;
        }
        match sections.last_mut() {
            Some(section) if section.path == block.section_path.as_slice() => {
                section.text.push_str("\n\n");
                if section.pages.last().is_none_or(|(_, page)| *page != block.page) {
                    section.pages.push((section.text.len(), block.page));
                }
                section.text.push_str(text);
            }
            _ => sections.push(Section {
                path: &block.section_path,
                text: text.to_string(),
                pages: vec![(0, block.page)],
            }),
        }
    }
    sections
}

/// Splits a document into chunks of at most `config.target_tokens` counted tokens.
///
/// A section that fits is one chunk. Neighbouring sections that share a parent heading are merged
/// into one chunk while one of them is small (under a quarter of the target) and the result still
/// fits; the merged chunk carries the shared heading path, and each member's own deeper headings
/// stay in the text as a line so nothing is lost. A longer section is split with overlap at the
/// largest boundary that fits. The only chunks that can exceed the target are single grapheme
/// clusters the counter alone rates above it, which text-splitter cannot divide further.
pub fn chunk_document(doc: &ExtractedDocument, config: &ChunkingConfig, counter: &dyn TokenCounter) -> Vec<Chunk> {
    let target = config.target_tokens.max(1);
    let overlap = config.overlap_tokens.min(target - 1);
    let small = target / 4;
    let limits = Limits { target, overlap };
    let splitter =
        TextSplitter::new(ChunkConfig::new(target - overlap).with_sizer(CounterSizer(counter)).with_trim(true));

    let mut chunks = Vec::new();
    let mut group: Vec<Section> = Vec::new();
    let mut group_tokens = 0;
    for section in sections(doc) {
        let tokens = counter.count(&section.text);
        if tokens > target {
            emit_group(&mut chunks, std::mem::take(&mut group), group_tokens, counter);
            split_section(&mut chunks, &section, &splitter, limits, counter);
            continue;
        }
        if !group.is_empty() && (tokens < small || group_tokens < small) && shares_parent(&group, &section) {
            group.push(section);
            let merged = counter.count(&merged_text(&group));
            if merged <= target {
                group_tokens = merged;
                continue;
            }
            let section = group.pop().expect("just pushed");
            emit_group(&mut chunks, std::mem::replace(&mut group, vec![section]), group_tokens, counter);
            group_tokens = tokens;
            continue;
        }
        emit_group(&mut chunks, std::mem::replace(&mut group, vec![section]), group_tokens, counter);
        group_tokens = tokens;
    }
    emit_group(&mut chunks, group, group_tokens, counter);

    for (position, chunk) in chunks.iter_mut().enumerate() {
        chunk.position = u32::try_from(position).unwrap_or(u32::MAX);
    }
    chunks
}

/// Merging is only worth it when the sections share at least their top heading (or neither has
/// one); otherwise the merged chunk would lose its section path entirely.
fn shares_parent(group: &[Section], section: &Section) -> bool {
    let prefix = common_prefix(group);
    let shared = prefix.iter().zip(section.path).take_while(|(a, b)| a == b).count();
    shared > 0 || (prefix.is_empty() && section.path.is_empty() && group.iter().all(|s| s.path.is_empty()))
}

fn common_prefix<'a>(group: &[Section<'a>]) -> &'a [String] {
    let Some(first) = group.first() else { return &[] };
    let mut len = first.path.len();
    for section in &group[1..] {
        len = len.min(first.path.iter().zip(section.path).take_while(|(a, b)| a == b).count());
    }
    &first.path[..len]
}

/// The members' text in order; a member deeper than the shared path is introduced by its own
/// heading(s) below that path, as one line.
fn merged_text(group: &[Section]) -> String {
    let prefix = common_prefix(group).len();
    let mut text = String::new();
    for section in group {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        if section.path.len() > prefix && group.len() > 1 {
            text.push_str(&crate::section_label(&section.path[prefix..]));
            text.push_str("\n\n");
        }
        text.push_str(&section.text);
    }
    text
}

fn emit_group(chunks: &mut Vec<Chunk>, group: Vec<Section>, tokens: usize, counter: &dyn TokenCounter) {
    let (Some(first), Some(last)) = (group.first(), group.last()) else { return };
    let (text, tokens) = if group.len() == 1 {
        (first.text.clone(), tokens)
    } else {
        let text = merged_text(&group);
        let tokens = counter.count(&text);
        (text, tokens)
    };
    chunks.push(Chunk {
        position: 0,
        text,
        section_path: common_prefix(&group).to_vec(),
        page_start: first.first_page(),
        page_end: last.last_page(),
        token_count: u32::try_from(tokens).unwrap_or(u32::MAX),
    });
}

/// Splits one long section. text-splitter measures overlap in whole units of the level it split
/// at (a paragraph longer than the overlap gives none), so we ask it for cores of
/// `target - overlap` tokens without overlap and extend each core backwards ourselves.
fn split_section(
    chunks: &mut Vec<Chunk>,
    section: &Section,
    splitter: &TextSplitter<CounterSizer>,
    limits: Limits,
    counter: &dyn TokenCounter,
) {
    let text = section.text.as_str();
    let mut previous_core_start = None;
    for (core_start, piece) in splitter.chunk_indices(text) {
        if piece.trim().is_empty() {
            continue;
        }
        let end = core_start + piece.len();
        let start = match previous_core_start {
            Some(floor) if limits.overlap > 0 => overlap_start(text, floor, core_start, end, limits, counter),
            _ => core_start,
        };
        previous_core_start = Some(core_start);
        let chunk_text = &text[start..end];
        chunks.push(Chunk {
            position: 0,
            text: chunk_text.to_string(),
            section_path: section.path.to_vec(),
            page_start: section.page_at(start),
            page_end: section.page_at(end.saturating_sub(1)),
            token_count: u32::try_from(counter.count(chunk_text)).unwrap_or(u32::MAX),
        });
    }
}

#[derive(Clone, Copy, Debug)]
struct Limits {
    target: usize,
    overlap: usize,
}

/// Where a chunk whose own text starts at `core_start` should really start so that it repeats up
/// to `overlap` tokens of what precedes it (never reaching back before the previous core, `floor`):
/// at a sentence start when that keeps at least half of the overlap, else at a word start.
fn overlap_start(
    text: &str,
    floor: usize,
    core_start: usize,
    end: usize,
    limits: Limits,
    counter: &dyn TokenCounter,
) -> usize {
    // Every word costs at least one token, so only the last `overlap` word starts can qualify.
    let window = &text[floor..core_start];
    let mut starts: Vec<usize> = Vec::with_capacity(limits.overlap);
    for (i, c) in window.char_indices().rev() {
        if !c.is_whitespace() && (i == 0 || window[..i].ends_with(char::is_whitespace)) {
            starts.push(floor + i);
            if starts.len() == limits.overlap {
                break;
            }
        }
    }
    starts.reverse();
    // Counts shrink as the start moves forward, so the first start that fits is found by bisection.
    // The whole chunk is estimated as overlap + core and checked exactly once afterwards.
    let core_tokens = counter.count(&text[core_start..end]);
    let overlap_tokens = |start: usize| counter.count(text[start..core_start].trim_end());
    let fits = |start: usize| {
        let tokens = overlap_tokens(start);
        tokens <= limits.overlap && tokens + core_tokens <= limits.target
    };
    let mut first = starts.partition_point(|&start| !fits(start));
    while first < starts.len() && counter.count(&text[starts[first]..end]) > limits.target {
        first += 1;
    }
    let Some(&best_word) = starts.get(first) else { return core_start };

    // A sentence start inside that overlap: segmenting the overlap alone treats its own first
    // word as a sentence start, which holds only if the text before it ends a sentence.
    let region = &text[best_word..core_start];
    let ends_sentence = text[..best_word].trim_end().ends_with(['.', '!', '?', '。', '！', '？']);
    let word_overlap = overlap_tokens(best_word);
    region
        .split_sentence_bound_indices()
        .map(|(i, sentence)| best_word + i + (sentence.len() - sentence.trim_start().len()))
        .find(|&start| (start > best_word || ends_sentence) && start < core_start)
        .filter(|&start| 2 * overlap_tokens(start) >= word_overlap)
        .unwrap_or(best_word)
}
