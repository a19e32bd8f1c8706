fn main() {
    // Every command the UI may call is listed here, so the capability file can grant exactly these.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_podcasts",
        "list_episodes",
        "get_episode",
        "subscribe",
        "subscribe_default",
        "refresh_all",
        "search",
        "open_link",
        "library_info",
        "play_episode",
        "player_command",
        "set_played",
        "episode_chapters",
        "queue_list",
        "queue_edit",
        "download_episodes",
        "pause_download",
        "delete_download",
        "list_downloads",
        "add_source",
        "add_pages",
        "list_documents",
        "get_document",
        "document_links",
        "list_collections",
        "collection_view",
        "episode_links",
        "decide_link",
        "review_queue",
        "relink_all",
        "list_bookmarks",
        "add_bookmark",
        "edit_bookmark",
        "delete_bookmark",
        "export_bookmarks",
        "episode_transcript",
    ]);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(manifest),
    )
    .expect("tauri build step failed");
}
