//! The streaming hub: one per process. It hears the events committed to the database
//! (`kith_storage::stream_events`: PostgreSQL NOTIFY, so events caused by any process sharing
//! the database reach this one's clients, or SQLite's `stream_events` rows), works out which
//! connected clients' streams each event belongs in, renders it once per viewer with the same
//! visibility rule as every read (`statuses_view`, `notifications_view`), and queues it for
//! each client. The routes (`mastodon::streaming`) carry the queues over WebSocket or SSE.
//!
//! Each client has a bounded queue ([`QUEUE`]); a client whose queue is full is dropped at
//! once (its connection closes and its queue is freed), so a slow or dead client never holds
//! the hub up nor grows memory.

use crate::entities::announcement::announcement_to_api;
use crate::entities::conversation::conversations_view;
use crate::entities::status::{apply_filters, notifications_view, statuses_view};
use kith_core::filters::FilterContext;
use kith_core::urls::InstanceUrls;
use kith_storage::stream_events::{self, Event};
use kith_storage::{
    activity, announcements, conversations, follows, lists, statuses, Db, OptionalExt, StorageError,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// Messages queued per client before it counts as too slow and is dropped.
pub const QUEUE: usize = 64;

/// A stream a client subscribes to, as Mastodon names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stream {
    User,
    UserNotification,
    Public,
    PublicLocal,
    PublicRemote,
    Hashtag(String),
    HashtagLocal(String),
    /// One of the viewer's lists (ownership is checked when subscribing).
    List(i64),
    Direct,
}

/// Why a subscription was refused: (HTTP-like status, message).
pub type Refusal = (u16, String);

impl Stream {
    /// The stream `name` (with its `tag` or `list` parameter), or why not.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Stream, Refusal> {
        let tag = || {
            // The same normalization as stored tags, so `#Café` hears posts tagged `#cafe`.
            tag.map(kith_core::tags::normalize)
                .filter(|t| kith_core::tags::is_valid(t))
                .ok_or((400, "Missing tag name parameter".to_owned()))
        };
        Ok(match name {
            "user" => Stream::User,
            "user:notification" => Stream::UserNotification,
            "public" => Stream::Public,
            "public:local" => Stream::PublicLocal,
            "public:remote" => Stream::PublicRemote,
            "hashtag" => Stream::Hashtag(tag()?),
            "hashtag:local" => Stream::HashtagLocal(tag()?),
            "direct" => Stream::Direct,
            // A list id that is no number names no list; whether the client owns the list
            // is checked by the caller (`mastodon::streaming`), which can read the database.
            "list" => match list.map(str::trim) {
                Some(id) => {
                    Stream::List(id.parse().map_err(|_| (404, "List not found".to_owned()))?)
                }
                None => return Err((400, "Missing list name parameter".to_owned())),
            },
            _ => return Err((400, "Unknown stream type".to_owned())),
        })
    }

    /// The `stream` array sent with each WebSocket message.
    pub fn names(&self) -> Vec<String> {
        let one = |s: &str| vec![s.to_owned()];
        match self {
            Stream::User => one("user"),
            Stream::UserNotification => one("user:notification"),
            Stream::Public => one("public"),
            Stream::PublicLocal => one("public:local"),
            Stream::PublicRemote => one("public:remote"),
            Stream::Hashtag(t) => vec!["hashtag".to_owned(), t.clone()],
            Stream::HashtagLocal(t) => vec!["hashtag:local".to_owned(), t.clone()],
            Stream::List(id) => vec!["list".to_owned(), id.to_string()],
            Stream::Direct => one("direct"),
        }
    }

    /// Whether the stream is someone's own (it needs a user token).
    pub fn is_personal(&self) -> bool {
        matches!(
            self,
            Stream::User | Stream::UserNotification | Stream::Direct | Stream::List(_)
        )
    }

    /// The scope a token must allow for this stream (Mastodon's streaming server: statuses
    /// need `read:statuses`, the notification stream `read:notifications`).
    pub fn scope(&self) -> &'static str {
        match self {
            Stream::UserNotification => "read:notifications",
            Stream::List(_) => "read:lists",
            _ => "read:statuses",
        }
    }

    /// The filter context statuses on this stream are seen in (Mastodon's: home for the user
    /// stream and lists, public for public and hashtag streams; none for direct messages).
    pub fn filter_context(&self) -> Option<FilterContext> {
        match self {
            Stream::User | Stream::List(_) => Some(FilterContext::Home),
            Stream::UserNotification | Stream::Direct => None,
            Stream::Public
            | Stream::PublicLocal
            | Stream::PublicRemote
            | Stream::Hashtag(_)
            | Stream::HashtagLocal(_) => Some(FilterContext::Public),
        }
    }

    fn is_public(&self) -> bool {
        matches!(
            self,
            Stream::Public
                | Stream::PublicLocal
                | Stream::PublicRemote
                | Stream::Hashtag(_)
                | Stream::HashtagLocal(_)
        )
    }
}

/// One message for a client: Mastodon's event name, its payload (a JSON document as a
/// string, or a status id for `delete`) and the stream it came on.
#[derive(Debug)]
pub struct Message {
    pub event: &'static str,
    pub payload: Arc<str>,
    pub stream: Vec<String>,
}

impl Message {
    /// The WebSocket text frame: `{"stream":[…],"event":…,"payload":"…"}`.
    pub fn websocket_text(&self) -> String {
        if self.payload.is_empty() {
            // An event without a payload (`filters_changed`), as Mastodon sends it.
            return serde_json::json!({ "stream": self.stream, "event": self.event }).to_string();
        }
        serde_json::json!({ "stream": self.stream, "event": self.event, "payload": &*self.payload })
            .to_string()
    }

    /// The server-sent event.
    pub fn sse_text(&self) -> String {
        // A payload is one line (compact JSON or an id), but never let a newline split it.
        let data = self.payload.replace(['\r', '\n'], " ");
        format!("event: {}\ndata: {data}\n\n", self.event)
    }
}

/// What the hub keeps per connected client.
struct Client {
    viewer: Option<i64>,
    /// Whether the token lets it read notifications (on the `user` stream).
    notifications: bool,
    streams: Arc<Mutex<HashSet<Stream>>>,
    tx: mpsc::Sender<Arc<Message>>,
    kick: Arc<Notify>,
}

/// A client's side of its connection to the hub. Dropping it disconnects.
pub struct Connection {
    id: u64,
    hub: Arc<Hub>,
    /// What it is subscribed to; the transport changes it.
    pub streams: Arc<Mutex<HashSet<Stream>>>,
    /// Its queue.
    pub rx: mpsc::Receiver<Arc<Message>>,
    /// Signalled when the hub drops the client (its queue overflowed).
    pub kick: Arc<Notify>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

/// The process's streaming hub.
pub struct Hub {
    clients: Mutex<HashMap<u64, Client>>,
    next: AtomicU64,
    db: Db,
    urls: InstanceUrls,
}

impl Hub {
    /// Starts listening for committed events; returns once the listener is in place.
    pub async fn start(db: Db, urls: InstanceUrls) -> Result<Arc<Hub>, StorageError> {
        let mut events = stream_events::subscribe(&db).await?;
        let hub = Arc::new(Hub {
            clients: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            db,
            urls,
        });
        let weak = Arc::downgrade(&hub);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(hub) = weak.upgrade() else { return };
                if let Err(e) = hub.dispatch(event.clone()).await {
                    tracing::warn!(error = %e, ?event, "cannot stream an event");
                }
            }
        });
        Ok(hub)
    }

    /// Connects a client viewing as `viewer` (`notifications`: whether it may read them).
    pub fn connect(self: &Arc<Self>, viewer: Option<i64>, notifications: bool) -> Connection {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        let streams = Arc::new(Mutex::new(HashSet::new()));
        let kick = Arc::new(Notify::new());
        self.lock().insert(
            id,
            Client {
                viewer,
                notifications,
                streams: streams.clone(),
                tx,
                kick: kick.clone(),
            },
        );
        Connection {
            id,
            hub: self.clone(),
            streams,
            rx,
            kick,
        }
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Client>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Queues `message` for client `id`; drops the client if its queue is full.
    fn send(&self, id: u64, message: Arc<Message>) {
        let mut clients = self.lock();
        let Some(client) = clients.get(&id) else {
            return;
        };
        match client.tx.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::debug!(client = id, "streaming client too slow; dropped");
                client.kick.notify_one();
                clients.remove(&id);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                clients.remove(&id);
            }
        }
    }

    /// Every (client, viewer, notifications allowed, streams) at this moment.
    fn snapshot(&self) -> Vec<(u64, Option<i64>, bool, Vec<Stream>)> {
        self.lock()
            .iter()
            .map(|(id, c)| {
                let streams = c
                    .streams
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .cloned()
                    .collect();
                (*id, c.viewer, c.notifications, streams)
            })
            .filter(|(_, _, _, s): &(u64, Option<i64>, bool, Vec<Stream>)| !s.is_empty())
            .collect()
    }

    async fn dispatch(&self, event: Event) -> Result<(), StorageError> {
        let clients = self.snapshot();
        if clients.is_empty() {
            return Ok(());
        }
        match event {
            Event::Status(id) => self.status(id, "update", clients).await,
            Event::Edit(id) => self.status(id, "status.update", clients).await,
            Event::Delete {
                status,
                author,
                public,
            } => self.delete(status, author, public, clients).await,
            Event::Notification { id, account } => self.notification(id, account, clients).await,
            Event::FiltersChanged { account } => {
                self.filters_changed(account, clients);
                Ok(())
            }
            Event::Conversation { id, account } => self.conversation(id, account, clients).await,
            Event::Announcement(id) => self.announcement(id, clients).await,
            Event::AnnouncementDelete(id) => {
                self.to_every_user("announcement.delete", id.to_string().into(), clients);
                Ok(())
            }
            Event::AnnouncementReaction { id, name } => {
                self.announcement_reaction(id, name, clients).await
            }
        }
    }

    /// A new announcement: its JSON (without `read`, as Mastodon sends it) to every `user`
    /// stream. One that has ended since, or is gone, is not sent.
    async fn announcement(
        &self,
        id: i64,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let found = self
            .db
            .read(move |c| {
                let Some(a) = announcements::current_by_id(c, id, kith_storage::now())? else {
                    return Ok(None);
                };
                let reactions = announcements::reactions_of(c, &[id], 0)?
                    .into_iter()
                    .map(|(_, name, count, _)| json!({"name": name, "count": count, "me": false}))
                    .collect();
                Ok(Some(announcement_to_api(&a, None, reactions)))
            })
            .await?;
        if let Some(json) = found {
            self.to_every_user("announcement", json.to_string().into(), clients);
        }
        Ok(())
    }

    /// A reaction added or taken back: `{name, count, announcement_id}` to every `user` stream.
    async fn announcement_reaction(
        &self,
        id: i64,
        name: String,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let n = name.clone();
        let count = self
            .db
            .read(move |c| announcements::count_reactions_named(c, id, &n))
            .await?;
        let payload = json!({"name": name, "count": count, "announcement_id": id.to_string()});
        self.to_every_user("announcement.reaction", payload.to_string().into(), clients);
        Ok(())
    }

    /// One message to every signed-in client's `user` stream.
    fn to_every_user(
        &self,
        event: &'static str,
        payload: Arc<str>,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) {
        let out = clients
            .into_iter()
            .filter(|(_, viewer, _, streams)| viewer.is_some() && streams.contains(&Stream::User))
            .map(|(client, _, _, _)| (client, payload.clone(), Stream::User.names()))
            .collect();
        self.deliver(event, out);
    }

    /// A new or edited status: to the streams it belongs in, rendered per viewer and filter
    /// context (the viewer's filters applied: a `hide` match is not sent).
    async fn status(
        &self,
        id: i64,
        event: &'static str,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let urls = self.urls.clone();
        let personal: Vec<i64> = clients
            .iter()
            .filter(|(_, _, _, s)| s.iter().any(Stream::is_personal))
            .filter_map(|(_, v, _, _)| *v)
            .collect();
        // The lists subscribed to, with their subscribers (who own them: checked when they
        // subscribed, and again here in case a list changed hands or went).
        let mut wanted_lists: Vec<(i64, i64)> = clients
            .iter()
            .filter_map(|(_, v, _, s)| Some((*v)?).map(|v| (v, s)))
            .flat_map(|(v, s)| {
                s.iter().filter_map(move |s| match s {
                    Stream::List(l) => Some((v, *l)),
                    _ => None,
                })
            })
            .collect();
        wanted_lists.sort_unstable();
        wanted_lists.dedup();
        let db = self.db.clone();
        let deliveries = db
            .read(move |c| {
                let Some(row) = statuses::by_id(c, id).optional()? else {
                    return Ok(Vec::new());
                };
                let mut in_feeds: HashSet<i64> = statuses::in_feeds_of(c, id, &personal)?
                    .into_iter()
                    .collect();
                // Members of a viewer's exclusive lists stay out of its home stream.
                for v in lists::excluding_from_home(c, row.account_id, &personal)? {
                    in_feeds.remove(&v);
                }
                let mut in_lists: HashSet<(i64, i64)> = HashSet::new();
                for (viewer, list) in wanted_lists {
                    if let Some(list) = lists::owned(c, list, viewer)? {
                        if statuses::in_list(c, id, &list)? {
                            in_lists.insert((viewer, list.id));
                        }
                    }
                }
                let tags: HashSet<String> = statuses::tags(c, id)?
                    .into_iter()
                    .map(|t| t.to_lowercase())
                    .collect();
                // Public streams carry public, original posts only (as Mastodon's).
                let public = row.visibility == "public" && row.reblog_of_id.is_none();
                let belongs = |viewer: Option<i64>, s: &Stream| match s {
                    Stream::User => viewer.is_some_and(|v| in_feeds.contains(&v)),
                    // Direct messages reach `direct` as `conversation` events (as in
                    // Mastodon), from `Event::Conversation`.
                    Stream::Direct | Stream::UserNotification => false,
                    Stream::List(l) => viewer.is_some_and(|v| in_lists.contains(&(v, *l))),
                    Stream::Public => public,
                    Stream::PublicLocal => public && row.local,
                    Stream::PublicRemote => public && !row.local,
                    Stream::Hashtag(t) => public && tags.contains(t),
                    Stream::HashtagLocal(t) => public && row.local && tags.contains(t),
                };
                // Rendered once per viewer and filter context, each with the visibility rule,
                // blocks and the viewer's filters applied.
                type Key = (Option<i64>, Option<FilterContext>);
                let mut rendered: HashMap<Key, Option<Arc<str>>> = HashMap::new();
                let mut out = Vec::new();
                for (client, viewer, _, streams) in clients {
                    for s in streams.iter().filter(|s| belongs(viewer, s)) {
                        let key = (viewer, s.filter_context());
                        let json = match rendered.entry(key) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                let one = std::slice::from_ref(&row);
                                let mut view = statuses_view(c, one, viewer, &urls)?;
                                if let (Some(v), Some(context)) = key {
                                    apply_filters(c, v, context, &mut view, true)?;
                                }
                                e.insert(
                                    view.pop()
                                        .map(|s| serde_json::to_string(&s).map(Arc::from))
                                        .transpose()
                                        .map_err(|e| StorageError::Task(e.to_string()))?,
                                )
                            }
                        };
                        if let Some(json) = json {
                            out.push((client, json.clone(), s.names()));
                        }
                    }
                }
                Ok(out)
            })
            .await?;
        self.deliver(event, deliveries);
        Ok(())
    }

    /// An account's filters changed: `filters_changed` (no payload) to its `user` streams,
    /// so that its apps reload them.
    fn filters_changed(&self, account: i64, clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>) {
        let payload: Arc<str> = Arc::from("");
        let out = clients
            .into_iter()
            .filter(|(_, viewer, _, _)| *viewer == Some(account))
            .filter(|(_, _, _, streams)| streams.contains(&Stream::User))
            .map(|(client, _, _, _)| (client, payload.clone(), Stream::User.names()))
            .collect();
        self.deliver("filters_changed", out);
    }

    /// A deleted status: to the public streams if it was public, and to the author's and
    /// local followers' personal streams (the status is gone: nothing but its id is sent).
    async fn delete(
        &self,
        id: i64,
        author: i64,
        public: bool,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let followers: HashSet<i64> = self
            .db
            .read(move |c| follows::local_follower_ids(c, author))
            .await?
            .into_iter()
            .collect();
        let payload: Arc<str> = id.to_string().into();
        let mut out = Vec::new();
        for (client, viewer, _, streams) in clients {
            let personal = viewer.is_some_and(|v| v == author || followers.contains(&v));
            for s in streams {
                let belongs = match s {
                    Stream::User | Stream::Direct | Stream::List(_) => personal,
                    Stream::UserNotification => false,
                    _ => public && s.is_public(),
                };
                if belongs {
                    out.push((client, payload.clone(), s.names()));
                }
            }
        }
        self.deliver("delete", out);
        Ok(())
    }

    /// A notification: to its owner's `user` (if the token may read notifications) and
    /// `user:notification` streams.
    async fn notification(
        &self,
        id: i64,
        account: i64,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let targets: Vec<(u64, Vec<String>)> = clients
            .into_iter()
            .filter(|(_, viewer, allowed, _)| *viewer == Some(account) && *allowed)
            .flat_map(|(client, _, _, streams)| {
                streams
                    .into_iter()
                    .filter(|s| matches!(s, Stream::User | Stream::UserNotification))
                    .map(move |s| (client, s.names()))
            })
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let urls = self.urls.clone();
        let json = self
            .db
            .read(move |c| {
                let Some(row) = activity::notification_by_id(c, id)? else {
                    return Ok(None);
                };
                notifications_view(c, &[row], account, &urls)?
                    .pop()
                    .map(|n| serde_json::to_string(&n).map(Arc::<str>::from))
                    .transpose()
                    .map_err(|e| StorageError::Task(e.to_string()))
            })
            .await?;
        if let Some(json) = json {
            let out = targets
                .into_iter()
                .map(|(client, names)| (client, json.clone(), names))
                .collect();
            self.deliver("notification", out);
        }
        Ok(())
    }

    /// A conversation with a new message: to its owner's `direct` streams, as a
    /// `Conversation` (rendered with the visibility rule, as `GET /api/v1/conversations`).
    async fn conversation(
        &self,
        id: i64,
        account: i64,
        clients: Vec<(u64, Option<i64>, bool, Vec<Stream>)>,
    ) -> Result<(), StorageError> {
        let targets: Vec<(u64, Vec<String>)> = clients
            .into_iter()
            .filter(|(_, viewer, _, _)| *viewer == Some(account))
            .flat_map(|(client, _, _, streams)| {
                streams
                    .into_iter()
                    .filter(|s| *s == Stream::Direct)
                    .map(move |s| (client, s.names()))
            })
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let urls = self.urls.clone();
        let json = self
            .db
            .read(move |c| {
                let Some(row) = conversations::by_id(c, account, id).optional()? else {
                    return Ok(None);
                };
                conversations_view(c, &[row], account, &urls)?
                    .pop()
                    .map(|n| serde_json::to_string(&n).map(Arc::<str>::from))
                    .transpose()
                    .map_err(|e| StorageError::Task(e.to_string()))
            })
            .await?;
        if let Some(json) = json {
            let out = targets
                .into_iter()
                .map(|(client, names)| (client, json.clone(), names))
                .collect();
            self.deliver("conversation", out);
        }
        Ok(())
    }

    /// Queues each (client, payload, stream) message, sharing equal messages between clients.
    fn deliver(&self, event: &'static str, out: Vec<(u64, Arc<str>, Vec<String>)>) {
        // Equal payloads are one allocation (rendered once per viewer): keyed by address.
        let mut shared: HashMap<(*const u8, Vec<String>), Arc<Message>> = HashMap::new();
        for (client, payload, stream) in out {
            let key = (payload.as_ptr(), stream);
            let message = shared
                .entry(key)
                .or_insert_with_key(|(_, stream)| {
                    Arc::new(Message {
                        event,
                        payload: payload.clone(),
                        stream: stream.clone(),
                    })
                })
                .clone();
            self.send(client, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Hub, Message, Stream, QUEUE};
    use kith_core::urls::InstanceUrls;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_client_that_falls_behind_is_dropped_and_its_queue_freed() {
        let test_db = kith_storage::testing::TestDatabase::sqlite();
        let db = test_db.open();
        let urls = InstanceUrls::new("example.test", false).unwrap();
        let hub = Hub::start(db, urls).await.unwrap();
        let slow = hub.connect(None, false);
        let mut quick = hub.connect(None, false);
        let one = |id| vec![(id, Arc::<str>::from("1"), vec!["public".to_owned()])];
        for _ in 0..QUEUE {
            hub.deliver("delete", one(slow.id));
            hub.deliver("delete", one(quick.id));
            quick.rx.recv().await.unwrap();
        }
        assert_eq!(hub.clients(), 2, "a full queue is still a connected client");
        hub.deliver("delete", one(quick.id));
        hub.deliver("delete", one(slow.id));
        assert_eq!(hub.clients(), 1, "the slow client is dropped on overflow");
        // Its connection is told to close at once (a stored permit: no wait).
        slow.kick.notified().await;
        assert_eq!(&*quick.rx.recv().await.unwrap().payload, "1");
        drop(quick);
        assert_eq!(hub.clients(), 0, "a closed connection leaves the hub");
    }

    #[test]
    fn streams_parse_by_mastodon_names() {
        assert_eq!(Stream::parse("user", None, None), Ok(Stream::User));
        assert_eq!(
            Stream::parse("hashtag", Some("#Rust"), None),
            Ok(Stream::Hashtag("rust".into()))
        );
        assert_eq!(Stream::parse("hashtag", None, None).unwrap_err().0, 400);
        assert_eq!(Stream::parse("list", Some("1"), None).unwrap_err().0, 400);
        assert_eq!(
            Stream::parse("list", None, Some("12")),
            Ok(Stream::List(12))
        );
        assert_eq!(Stream::parse("list", None, Some("x")).unwrap_err().0, 404);
        assert_eq!(Stream::List(12).names(), vec!["list", "12"]);
        assert_eq!(Stream::parse("nope", None, None).unwrap_err().0, 400);
        assert_eq!(
            Stream::HashtagLocal("a".into()).names(),
            vec!["hashtag:local", "a"]
        );
    }

    #[test]
    fn a_payload_never_breaks_out_of_its_sse_event() {
        let m = Message {
            event: "update",
            payload: "{\"a\":\"x\ny\"}\n\nevent: delete".into(),
            stream: vec!["public".into()],
        };
        let text = m.sse_text();
        assert_eq!(text.matches("\n\n").count(), 1);
        assert!(text.ends_with("\n\n"));
    }
}
