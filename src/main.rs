//! The `sqlcoder` command line: everything lives in the library (`sqlcoder::cli`).

fn main() {
    std::process::exit(sqlcoder::cli::main());
}
