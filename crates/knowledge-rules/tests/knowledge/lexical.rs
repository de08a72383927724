use wayfinder_knowledge_rules::lexical_terms;

#[test]
fn terms_are_lowercased_stemmed_and_free_of_stopwords() {
    assert_eq!(lexical_terms("Studying"), lexical_terms("studies"));
    assert_eq!(lexical_terms("The students are STUDYING for the exams"), vec!["student", "studi", "exam"]);
    assert!(lexical_terms("and the of to is was it").is_empty());
}

#[test]
fn terms_split_on_anything_but_letters_and_digits_and_keep_numbers() {
    assert_eq!(lexical_terms("e-mail's 2024 budget, 3.5 hours"), vec!["e", "mail", "2024", "budget", "3", "5", "hour"]);
    assert_eq!(lexical_terms("Anna's notes"), vec!["anna", "note"]);
    assert_eq!(lexical_terms("snake_case"), vec!["snake", "case"]);
    // Every term is letters and digits only.
    let terms = lexical_terms("Café — naïve (résumé) «quote» 学习 don't!");
    assert!(terms.iter().all(|t| t.chars().all(char::is_alphanumeric)), "{terms:?}");
    assert!(terms.contains(&"café".to_string()));
    assert!(terms.contains(&"学".to_string()) && terms.contains(&"习".to_string()));
}

#[test]
fn overlong_tokens_are_dropped() {
    let long = "a".repeat(41);
    let forty = "b".repeat(40);
    assert_eq!(lexical_terms(&format!("{long} {forty} ok")), vec![forty, "ok".to_string()]);
}
