//! The two 2 MB CSV files the upload experiments send: one of numbers, one of text.

/// 64 columns × 15,500 rows of one-digit numbers (as experiments/serve_load.sh sends).
pub fn numeric() -> String {
    let mut csv: String = (0..64).map(|c| format!("c{c},")).collect();
    csv.pop();
    csv.push('\n');
    for r in 0..15_500 {
        let row: Vec<String> = (0..64).map(|c| ((r + c) % 10).to_string()).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    csv
}

/// 8 columns of mostly text (names, places, a sentence, codes) × 16,000 rows, just under 2 MiB.
pub fn text_heavy() -> String {
    const CITIES: [&str; 8] = [
        "Porto", "Lisbon", "Faro", "Braga", "Coimbra", "Évora", "Aveiro", "Viseu",
    ];
    const WORDS: [&str; 12] = [
        "quiet", "harbour", "market", "river", "station", "garden", "bridge", "museum", "old",
        "north", "square", "tower",
    ];
    let mut csv = String::from("id,name,city,email,note,status,code,region\n");
    for r in 0..16_000usize {
        let note: Vec<&str> = (0..9)
            .map(|w| WORDS[(r * 7 + w * 5) % WORDS.len()])
            .collect();
        csv.push_str(&format!(
            "{r},Person {r},{},p{r}@example.org,\"{}\",{},AB-{:04},{}\n",
            CITIES[r % CITIES.len()],
            note.join(" "),
            if r % 3 == 0 { "active" } else { "closed" },
            r % 10_000,
            CITIES[(r / 8) % CITIES.len()]
        ));
    }
    csv
}
