//! [`RedisTaskStore`] (feature `redis`): tasks in Redis, seen by every
//! replica that names the same Redis and key prefix. A task is three keys,
//! all expiring with the task: its record (JSON), its inbox of answers (a
//! hash) and its cancellation flag.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{StateError, StateFuture, TaskRecord, TaskStatus, TaskStore};

/// Set `ARGV[1]` fields/values into the hash `KEYS[2]` and the flag `KEYS[3]`
/// only while the record `KEYS[1]` lives, expiring with it.
const WITH_RECORD: &str = r"
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
if ARGV[1] == 'cancel' then
  redis.call('SET', KEYS[3], '1', 'PX', ttl)
else
  for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
";

/// Tasks kept in Redis.
pub struct RedisTaskStore {
    client: redis::Client,
    conn: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
}

impl RedisTaskStore {
    /// A store at `url` (`redis://[user:password@]host[:port][/db]`), its
    /// keys under `prefix` (every replica of one server must use the same,
    /// e.g. `mcp:{server name}:`). Nothing is connected until the first
    /// call; a malformed URL is an error now.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<RedisTaskStore, StateError> {
        let client =
            redis::Client::open(url).map_err(|e| StateError(format!("not a Redis URL: {e}")))?;
        Ok(RedisTaskStore {
            client,
            conn: tokio::sync::OnceCell::new(),
            script: redis::Script::new(WITH_RECORD),
            prefix: prefix.into(),
            timeout: Duration::from_secs(2),
        })
    }

    /// Bound every round trip (and the first connection) by `timeout` (default 2 s).
    pub fn timeout(mut self, timeout: Duration) -> RedisTaskStore {
        self.timeout = timeout;
        self
    }

    fn keys(&self, id: &str) -> [String; 3] {
        let base = format!("{}task:{id}", self.prefix);
        [
            base.clone(),
            format!("{base}:answers"),
            format!("{base}:cancel"),
        ]
    }

    /// Run `f` on a connection, within the timeout.
    async fn with<T>(
        &self,
        f: impl AsyncFnOnce(redis::aio::ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, StateError> {
        let round_trip = async {
            let conn = crate::state::redis_connect(&self.client, &self.conn, self.timeout).await?;
            f(conn).await.map_err(|e| StateError(format!("Redis: {e}")))
        };
        tokio::time::timeout(self.timeout, round_trip)
            .await
            .map_err(|_| StateError(format!("Redis did not answer within {:?}", self.timeout)))?
    }

    fn encode(task: &TaskRecord) -> Result<String, StateError> {
        serde_json::to_string(task).map_err(|e| StateError(format!("a task record: {e}")))
    }
}

impl TaskStore for RedisTaskStore {
    fn create<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let json = Self::encode(task)?;
            let [record, ..] = self.keys(&task.id);
            let set: Option<String> = self
                .with(async |mut c| {
                    redis::cmd("SET")
                        .arg(&record)
                        .arg(json)
                        .arg("NX")
                        .arg("PX")
                        .arg(task.ttl_ms.max(1))
                        .query_async(&mut c)
                        .await
                })
                .await?;
            match set {
                Some(_) => Ok(()),
                None => Err(StateError(format!("a task {} exists already", task.id))),
            }
        })
    }

    fn save<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let json = Self::encode(task)?;
            let [record, ..] = self.keys(&task.id);
            // XX: an expired task stays gone; KEEPTTL: its lifetime is its own.
            let _: Option<String> = self
                .with(async |mut c| {
                    redis::cmd("SET")
                        .arg(&record)
                        .arg(json)
                        .arg("XX")
                        .arg("KEEPTTL")
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn load<'a>(&'a self, id: &'a str) -> StateFuture<'a, Option<TaskRecord>> {
        Box::pin(async move {
            let [record, answers, _] = self.keys(id);
            let (json, answered): (Option<String>, Vec<String>) = self
                .with(async |mut c| {
                    redis::pipe()
                        .atomic()
                        .get(&record)
                        .hkeys(&answers)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            let Some(json) = json else { return Ok(None) };
            let mut task: TaskRecord = serde_json::from_str(&json)
                .map_err(|e| StateError(format!("task {id} in Redis is not a task record: {e}")))?;
            // Answers the running replica has not taken yet close their questions.
            for k in answered {
                task.input_requests.remove(&k);
            }
            if task.status == TaskStatus::InputRequired && task.input_requests.is_empty() {
                task.status = TaskStatus::Working;
            }
            Ok(Some(task))
        })
    }

    fn answer<'a>(&'a self, id: &'a str, responses: Map<String, Value>) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let keys = self.keys(id);
            let mut invocation = self.script.prepare_invoke();
            invocation
                .key(&keys[0])
                .key(&keys[1])
                .key(&keys[2])
                .arg("answer");
            for (k, v) in &responses {
                invocation.arg(k).arg(v.to_string());
            }
            let _: i64 = self
                .with(async |mut c| invocation.invoke_async(&mut c).await)
                .await?;
            Ok(())
        })
    }

    fn take_answers<'a>(&'a self, id: &'a str) -> StateFuture<'a, Map<String, Value>> {
        Box::pin(async move {
            let [_, answers, _] = self.keys(id);
            let (all,): (Vec<(String, String)>,) = self
                .with(async |mut c| {
                    redis::pipe()
                        .atomic()
                        .hgetall(&answers)
                        .del(&answers)
                        .ignore()
                        .query_async(&mut c)
                        .await
                })
                .await?;
            Ok(all
                .into_iter()
                .filter_map(|(k, v)| serde_json::from_str(&v).ok().map(|v| (k, v)))
                .collect())
        })
    }

    fn request_cancel<'a>(&'a self, id: &'a str) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let keys = self.keys(id);
            let mut invocation = self.script.prepare_invoke();
            invocation
                .key(&keys[0])
                .key(&keys[1])
                .key(&keys[2])
                .arg("cancel");
            let _: i64 = self
                .with(async |mut c| invocation.invoke_async(&mut c).await)
                .await?;
            Ok(())
        })
    }

    fn cancel_requested<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool> {
        Box::pin(async move {
            let [.., cancel] = self.keys(id);
            let set: bool = self
                .with(async |mut c| redis::cmd("EXISTS").arg(&cancel).query_async(&mut c).await)
                .await?;
            Ok(set)
        })
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
