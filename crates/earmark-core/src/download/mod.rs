//! Everything about getting episodes' media onto this computer, grouped by job: `transfer` moves
//! one file's bytes safely (a `.part` file, resume, checks); `records` is what the library knows of
//! each download; `queue` runs many transfers a few at a time and reports on them; `policy` is each
//! podcast's auto-download choice and what it asks for after a refresh.

pub mod policy;
pub mod queue;
pub mod records;
pub mod transfer;
