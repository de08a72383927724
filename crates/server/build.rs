//! Rebuilds this crate when the web app's build output changes, so the files
//! embedded by `src/web_app.rs` are always those in `web/dist`. (Files are
//! embedded with `include_bytes!`, which notices edits but not files that
//! appear or disappear, such as a new content-hashed bundle.)

fn main() {
    let dist = std::path::Path::new("../../web/dist");
    if dist.is_dir() {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else {
        // Watching a missing path would rebuild on every run; the web folder
        // changes when `npm run build` creates dist/.
        println!("cargo:rerun-if-changed=../../web");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
