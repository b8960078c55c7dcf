//! A `procs` worker process: reads its set-up, opens what it names, then
//! answers the parent's requests until the parent closes the channel.

use std::io::{self, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use super::wire::{decode, Reply, Setup};
use crate::exec::{FileSet, IoBufs};

/// Errors that end a worker.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("its channel (stdin) is not usable: {0}")]
    Channel(#[source] io::Error),
    #[error("bad set-up message: {0}")]
    BadSetup(String),
    #[error("set-up failed: {0}")]
    SetUpFailed(String),
}

/// A worker's whole life; its exit code.
pub(super) fn main() -> u8 {
    match serve() {
        Ok(()) => 0,
        Err(e) => {
            crate::errln!("iobound: procs worker {}: {e}", std::process::id());
            1
        }
    }
}

/// Reads the set-up, opens what it names, then answers requests until the
/// parent closes the channel.
fn serve() -> Result<(), WorkerError> {
    // The socket the parent gave as stdin, duplicated so it is ours to own.
    let chan = UnixStream::from(
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(WorkerError::Channel)?,
    );
    let mut input = BufReader::new(&chan);
    let mut out = &chan;
    let mut len = [0u8; 4];
    input.read_exact(&mut len).map_err(WorkerError::Channel)?;
    let mut json = vec![0u8; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut json).map_err(WorkerError::Channel)?;
    let setup: Setup =
        serde_json::from_slice(&json).map_err(|e| WorkerError::BadSetup(e.to_string()))?;
    let (files, mut bufs) = match open(&setup) {
        Ok(x) => x,
        Err(why) => {
            // The parent reports it; our exit status only confirms it.
            let _ = Reply::Error(why.clone()).write(&mut out);
            return Err(WorkerError::SetUpFailed(why));
        }
    };
    Reply::Ready.write(&mut out).map_err(WorkerError::Channel)?;
    let n_files = setup.files.len();
    let mut body = [0u8; u8::MAX as usize];
    loop {
        let mut len = [0u8; 1];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            // The parent closed the channel (or died): the pool is done.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(WorkerError::Channel(e)),
        }
        let body = &mut body[..len[0] as usize];
        input.read_exact(body).map_err(WorkerError::Channel)?;
        let reply = match decode(body, n_files) {
            Ok(req) => {
                let t = Instant::now();
                match files.run_request_blocking(&req, &mut bufs, setup.verify) {
                    Ok(done) => Reply::Done {
                        done,
                        service: t.elapsed(),
                    },
                    Err(e) => Reply::Error(e.to_string()),
                }
            }
            Err(e) => Reply::Error(format!("bad request: {e}")),
        };
        reply.write(&mut out).map_err(WorkerError::Channel)?;
    }
}

/// Opens the set-up's files, compute input and connection, as the parent's
/// cell opened its own.
fn open(setup: &Setup) -> Result<(FileSet, IoBufs), String> {
    let files = FileSet::open(&setup.files(), setup.direct)
        .map_err(|e| e.to_string())?
        .with_compute_input(setup.compute_input)
        .with_target(setup.target);
    let mut bufs = IoBufs::new(setup.max_transfer);
    if setup.connect {
        files.ensure_conn(&mut bufs).map_err(|e| e.to_string())?;
    }
    Ok((files, bufs))
}
