use wayfinder_knowledge_rules::{
    Block, Chunk, ChunkingConfig, ContentType, ExtractedDocument, TokenCounter, WordPieceEstimate, chunk_document,
    content_hash, extract, section_label,
};

fn doc(blocks: Vec<(Vec<&str>, &str)>) -> ExtractedDocument {
    ExtractedDocument {
        title: "t".into(),
        content_type: ContentType::Markdown,
        pages: None,
        blocks: blocks
            .into_iter()
            .map(|(path, text)| Block {
                section_path: path.into_iter().map(String::from).collect(),
                text: text.into(),
                page: None,
            })
            .collect(),
    }
}

/// 3,000 distinct words (`w0001`…), in sentences of 12 and paragraphs of 5 sentences, so any
/// overlap between chunks is visible as repeated words.
fn long_section() -> String {
    let mut text = String::new();
    for i in 1..=3000 {
        text.push_str(&format!("w{i:04}"));
        text.push_str(match i {
            i if i % 60 == 0 => ".\n\n",
            i if i % 12 == 0 => ". ",
            _ => " ",
        });
    }
    text
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

#[test]
fn a_3000_word_section_splits_into_bounded_overlapping_chunks() {
    let text = long_section();
    let document = doc(vec![(vec!["Guide", "Practice"], &text)]);
    let config = ChunkingConfig::default();
    assert_eq!((config.target_tokens, config.overlap_tokens), (400, 60));
    let chunks = chunk_document(&document, &config, &WordPieceEstimate);

    assert!(chunks.len() >= 8, "3,000 words at ≤400 tokens need at least 8 chunks, got {}", chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.position as usize, i);
        assert!(!chunk.text.trim().is_empty());
        assert_eq!(chunk.text, chunk.text.trim());
        assert_eq!(chunk.token_count as usize, WordPieceEstimate.count(&chunk.text));
        assert!(chunk.token_count <= 400, "chunk {i} has {} tokens", chunk.token_count);
        assert_eq!(chunk.section_path, vec!["Guide".to_string(), "Practice".to_string()]);
        assert_eq!((chunk.page_start, chunk.page_end), (None, None));
    }
    // Chunks are filled, not tiny: all but the last hold at least half the target.
    assert!(chunks[..chunks.len() - 1].iter().all(|c| c.token_count >= 200));
    // Each chunk starts with words the previous one ended with, and no more than the overlap.
    let mut rebuilt = words(&chunks[0].text);
    for pair in chunks.windows(2) {
        let (previous, next) = (words(&pair[0].text), words(&pair[1].text));
        let shared = (1..=previous.len().min(next.len()))
            .rev()
            .find(|&n| previous[previous.len() - n..] == next[..n])
            .unwrap_or(0);
        assert!(shared > 0, "no overlap between {:?}… and …{:?}", &pair[0].text[..40], &pair[1].text[..40]);
        assert!(
            WordPieceEstimate.count(&next[..shared].join(" ")) <= 60,
            "overlap of {shared} words is over 60 tokens"
        );
        rebuilt.extend(&next[shared..]);
    }
    // Dropping the overlaps gives back the section word for word: nothing lost, nothing reordered.
    assert_eq!(rebuilt, words(&text));
}

#[test]
fn a_custom_counter_decides_the_size() {
    /// One token per character: chunks must come out at most 100 characters long.
    struct Characters;
    impl TokenCounter for Characters {
        fn count(&self, text: &str) -> usize {
            text.chars().count()
        }
    }
    let text = long_section();
    let document = doc(vec![(vec![], &text[..5000])]);
    let chunks = chunk_document(&document, &ChunkingConfig { target_tokens: 100, overlap_tokens: 0 }, &Characters);
    assert!(chunks.len() >= 50);
    assert!(chunks.iter().all(|c| c.text.chars().count() <= 100 && c.token_count as usize == c.text.chars().count()));
}

#[test]
fn a_section_shorter_than_the_target_is_one_chunk_and_sections_never_mix_text() {
    let long = long_section();
    let document = doc(vec![
        (vec!["A"], &long[..3000]),
        (
            vec!["B"],
            "A short section that fits in one chunk comfortably, with enough words to stand alone as a chunk of its own in the index. It talks about focus, about sleep, about breaks and about exercise, and it keeps going for a while so that it is clearly not a tiny section that ought to be merged with its neighbours.",
        ),
        (vec!["C"], &long[3000..9000]),
    ]);
    let chunks = chunk_document(&document, &ChunkingConfig::default(), &WordPieceEstimate);
    let b: Vec<&Chunk> = chunks.iter().filter(|c| c.section_path == ["B"]).collect();
    assert_eq!(b.len(), 1);
    assert!(b[0].text.starts_with("A short section") && b[0].text.ends_with("neighbours."));
    for chunk in &chunks {
        let expected = match chunk.section_path[0].as_str() {
            "A" => &long[..3000],
            "C" => &long[3000..9000],
            _ => continue,
        };
        assert!(expected.contains(&chunk.text), "chunk text crossed a section boundary");
    }
    let positions: Vec<u32> = chunks.iter().map(|c| c.position).collect();
    assert_eq!(positions, (0..chunks.len() as u32).collect::<Vec<_>>());
}

#[test]
fn tiny_neighbouring_sections_merge_under_their_shared_heading() {
    let markdown =
        "# Habits\n\nSmall steps.\n\n## Sleep\n\nEight hours.\n\n## Breaks\n\nEvery hour.\n\n# Other\n\nUnrelated.";
    let document = extract("habits.md", markdown.as_bytes(), 1 << 20).unwrap();
    let chunks = chunk_document(&document, &ChunkingConfig::default(), &WordPieceEstimate);
    let summary: Vec<(Vec<String>, &str)> = chunks.iter().map(|c| (c.section_path.clone(), c.text.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (vec!["Habits".to_string()], "Small steps.\n\nSleep\n\nEight hours.\n\nBreaks\n\nEvery hour."),
            // A different top-level heading is never merged in: it would lose its path.
            (vec!["Other".to_string()], "Unrelated."),
        ]
    );
}

#[test]
fn overlap_at_or_above_the_target_is_clamped_instead_of_panicking() {
    let text = long_section();
    let document = doc(vec![(vec![], &text[..4000])]);
    let chunks =
        chunk_document(&document, &ChunkingConfig { target_tokens: 50, overlap_tokens: 80 }, &WordPieceEstimate);
    assert!(chunks.len() > 5 && chunks.iter().all(|c| c.token_count <= 50));
    let none = chunk_document(&doc(vec![(vec![], "   ")]), &ChunkingConfig::default(), &WordPieceEstimate);
    assert!(none.is_empty(), "whitespace-only blocks never become chunks");
}

#[test]
fn word_piece_estimate_counts_words_punctuation_and_long_words() {
    let count = |s: &str| WordPieceEstimate.count(s);
    assert_eq!(count(""), 0);
    assert_eq!(count("Hello, world!"), 4);
    assert_eq!(count("internationalization"), 4); // 20 chars → ceil(20 / 6)
    assert_eq!(count("sixsix seven77"), 3);
    assert_eq!(count("学习方法"), 4);
    assert_eq!(count("  \n\t "), 0);
}

#[test]
fn content_hash_is_the_sha256_of_the_raw_bytes() {
    assert_eq!(content_hash(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
    assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
    assert_eq!(content_hash(b"").len(), 64);
}

#[test]
fn section_label_joins_the_path_for_people() {
    assert_eq!(section_label(&["Chapter 3".into(), "Note-taking".into()]), "Chapter 3 › Note-taking");
    assert_eq!(section_label(&[]), "");
}
