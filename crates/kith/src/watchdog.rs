//! A deadline on every request head of a connection, not only the first. actix-http times out
//! the first head (`client_request_timeout`) and idle keep-alive connections (`keep_alive`),
//! but once the first byte of a later request arrives neither timer runs, so a client could
//! send its second head a byte at a time for ever. The watchdog closes a connection that has
//! no request in progress and has not completed a new head within `keep_alive +
//! header_timeout` of its last answer; a well-behaved client never comes near that.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest};
use actix_web::rt::net::TcpStream;
use actix_web::web::Bytes;
use std::any::Any;
use std::cell::Cell;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What the watchdog knows of one connection; kept in the connection's data, so it lives as
/// long as the connection does.
struct State {
    in_flight: Cell<usize>,
    last_answer: Cell<Instant>,
    /// Dropped with the connection, which ends the watchdog's task.
    _gone: oneshot::Sender<()>,
}

/// The connection data that requests see.
#[derive(Clone)]
struct Watched(Rc<State>);

/// Watches a new connection (for `HttpServer::on_connect`): a task on the worker's thread
/// shuts the socket down once no head has come within `limit` of the last answer.
pub fn on_connect(conn: &dyn Any, data: &mut Extensions, limit: Duration) {
    let Some(stream) = conn.downcast_ref::<TcpStream>() else {
        return;
    };
    // A second handle on the socket, only to shut it down; it is closed with the task.
    let Ok(fd) = stream.as_fd().try_clone_to_owned() else {
        tracing::warn!("cannot watch a connection: no file descriptor left");
        return;
    };
    let (gone_tx, mut gone) = oneshot::channel();
    let state = Rc::new(State {
        in_flight: Cell::new(0),
        last_answer: Cell::new(Instant::now()),
        _gone: gone_tx,
    });
    let watched = Rc::downgrade(&state);
    data.insert(Watched(state));
    actix_web::rt::spawn(async move {
        let socket = std::net::TcpStream::from(fd);
        // Each turn waits for the deadline or the connection's end; the connection ends
        // within its own limits, so this does too.
        loop {
            let Some(state) = watched.upgrade() else {
                return;
            };
            let idle = state.in_flight.get() == 0;
            let deadline = state.last_answer.get() + limit;
            drop(state);
            let now = Instant::now();
            if idle && now >= deadline {
                tracing::debug!("no request head in time on a kept-alive connection; closed");
                let _ = socket.shutdown(std::net::Shutdown::Both);
                return;
            }
            let wait = if idle { deadline - now } else { limit };
            tokio::select! {
                _ = &mut gone => return,
                () = actix_web::rt::time::sleep(wait) => {}
            }
        }
    });
}

/// Marks a request of a watched connection as in progress until dropped (when its answer has
/// been written, see `Answer`, or it is abandoned).
pub struct InFlight(Option<Rc<State>>);

impl InFlight {
    /// Starts watching `req`'s handling.
    pub fn start(req: &ServiceRequest) -> InFlight {
        let state = req.conn_data::<Watched>().map(|w| w.0.clone());
        if let Some(s) = &state {
            s.in_flight.set(s.in_flight.get() + 1);
        }
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.in_flight.set(s.in_flight.get().saturating_sub(1));
            s.last_answer.set(Instant::now());
        }
    }
}

/// An answer's body that keeps its request in progress until it has been written, so that a
/// slow reader of a long answer is not taken for an idle connection.
pub struct Answer {
    body: BoxBody,
    _in_flight: InFlight,
}

impl Answer {
    /// Wraps `body`; `in_flight` ends when it has been written (or dropped).
    pub fn new(body: BoxBody, in_flight: InFlight) -> Answer {
        Answer {
            body,
            _in_flight: in_flight,
        }
    }
}

impl MessageBody for Answer {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
