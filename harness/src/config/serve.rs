//! `iobound serve`'s flags checked into a [`ServeConfig`].

use super::{parse_args, ConfigError};
use crate::serve::ServeConfig;

/// `iobound serve KIND`'s flags as left out: to tell which were given, and
/// the base of the servers `run` starts.
pub(crate) fn serve_defaults(kind: crate::serve::Kind) -> crate::cli::ServeArgs {
    use clap::ValueEnum;
    let name = kind
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    match parse_args(["iobound", "serve", name.as_str()]) {
        Ok((
            crate::cli::Cli {
                command: crate::cli::Command::Serve(a),
            },
            _,
        )) => a,
        _ => unreachable!("`iobound serve {name}` parses"),
    }
}

/// Checks `iobound serve`'s flags.
pub fn serve_config(a: &crate::cli::ServeArgs) -> Result<ServeConfig, ConfigError> {
    if a.threads == 0 {
        return Err(ConfigError::Zero("threads"));
    }
    if a.records == 0 {
        return Err(ConfigError::Zero("records"));
    }
    if a.frame_timeout.is_zero() {
        return Err(ConfigError::Zero("frame-timeout"));
    }
    if a.kind == crate::serve::Kind::Echo {
        // The database's settings, given to the echo server, would be
        // silently ignored: refused, as `run` refuses flags that change nothing.
        let d = serve_defaults(a.kind);
        let db_only = [
            ("--direct", a.direct),
            ("--records", a.records != d.records),
            ("--db-latency", a.db.db_latency != d.db.db_latency),
            ("--data-dir", a.data.data_dir.is_some()),
            ("--fresh", a.fresh),
            ("--truncate-corrupt-wal", a.truncate_corrupt_wal),
        ];
        let set: Vec<&str> = db_only
            .iter()
            .filter(|(_, s)| *s)
            .map(|(f, _)| *f)
            .collect();
        if !set.is_empty() {
            return Err(ConfigError::Ignored(format!(
                "{} {} to `serve db` only: the echo server has no table",
                set.join(", "),
                if set.len() == 1 { "applies" } else { "apply" }
            )));
        }
    }
    Ok(ServeConfig {
        kind: a.kind,
        listen: a.listen,
        threads: a.threads as usize,
        records: a.records,
        db_latency: a.db.db_latency,
        direct: a.direct,
        data_dir: a.data.dir(),
        fresh: a.fresh,
        truncate_corrupt_wal: a.truncate_corrupt_wal,
        frame_timeout: a.frame_timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse_cli;

    /// Issue 18: `serve echo` refuses the database's flags (--direct was
    /// accepted and ignored).
    #[test]
    fn serve_echo_refuses_the_database_flags() {
        let serve = |args: &[&str]| {
            let mut full = vec!["serve"];
            full.extend_from_slice(args);
            match parse_cli(&full).command {
                crate::cli::Command::Serve(a) => serve_config(&a).map(|_| ()),
                _ => unreachable!(),
            }
        };
        for (flag, value) in [
            ("--direct", None),
            ("--records", Some("5")),
            ("--db-latency", Some("2ms")),
            ("--data-dir", Some("/tmp")),
        ] {
            let mut args = vec!["echo", flag];
            args.extend(value);
            let e = serve(&args).err().unwrap().to_string();
            assert_eq!(
                e,
                format!("{flag} applies to `serve db` only: the echo server has no table")
            );
            args[0] = "db";
            assert!(serve(&args).is_ok(), "{args:?}");
        }
        assert!(serve(&["echo", "--threads", "2"]).is_ok());
    }

    /// Outside tester: `serve echo --threads 100000` failed at start with
    /// "cannot listen on ...: Too many open files", a misleading cause. The
    /// count is refused up front, for `serve` and `run` alike (fails without
    /// the parser's cap).
    #[test]
    fn server_threads_have_a_ceiling() {
        let refused: [&[&str]; 2] = [
            &["iobound", "serve", "echo", "--threads", "1025"],
            &[
                "iobound",
                "run",
                "-w",
                "net-echo",
                "--server-threads",
                "100000",
            ],
        ];
        for args in refused {
            let e = super::super::parse_args(args)
                .expect_err("refused")
                .to_string();
            assert!(e.contains("must be at most 1024"), "{e}");
        }
        assert!(
            super::super::parse_args(["iobound", "serve", "echo", "--threads", "1024"]).is_ok()
        );
    }

    /// Issue 19: `run` starts its servers with `ServeArgs::to_argv`, which
    /// must parse back into the same flags, every field set or not.
    #[test]
    fn serve_flags_round_trip_through_their_command_line() {
        let back = |a: &crate::cli::ServeArgs| {
            let mut full = vec!["serve".to_string()];
            full.extend(a.to_argv());
            let full: Vec<&str> = full.iter().map(String::as_str).collect();
            match parse_cli(&full).command {
                crate::cli::Command::Serve(b) => b,
                _ => unreachable!(),
            }
        };
        let mut a = serve_defaults(crate::serve::Kind::Db);
        assert_eq!(back(&a), a);
        a.threads = 3;
        a.records = 77;
        a.db.db_latency = std::time::Duration::from_micros(1500);
        a.data.data_dir = Some("/tmp/a dir".into());
        a.direct = true;
        a.fresh = true;
        a.frame_timeout = std::time::Duration::from_millis(250);
        a.listen = "127.0.0.1:7001".parse().unwrap();
        assert_eq!(back(&a), a);
        assert!(serve_config(&back(&a)).is_ok());
        a.fresh = false;
        a.truncate_corrupt_wal = true;
        assert_eq!(back(&a), a);
        let mut e = serve_defaults(crate::serve::Kind::Echo);
        e.threads = 2;
        assert_eq!(back(&e), e);
        assert!(serve_config(&back(&e)).is_ok(), "{:?}", e.to_argv());
    }
}
