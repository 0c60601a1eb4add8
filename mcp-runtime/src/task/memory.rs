//! [`MemoryTaskStore`]: tasks in this process, each gone once its TTL has
//! passed, and at most a bounded number of them alive at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{StateError, StateFuture, TaskRecord, TaskStatus, TaskStore};

struct Entry {
    record: TaskRecord,
    expires: Instant,
    answers: Map<String, Value>,
    cancel: bool,
}

/// Tasks in memory: the default store, for one replica.
pub struct MemoryTaskStore {
    tasks: Mutex<HashMap<String, Entry>>,
    max_tasks: usize,
}

impl MemoryTaskStore {
    /// A store holding at most `max_tasks` live tasks (expired ones do not count).
    pub fn new(max_tasks: usize) -> MemoryTaskStore {
        MemoryTaskStore {
            tasks: Mutex::new(HashMap::new()),
            max_tasks,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live entry `id`; an expired one is removed.
    fn live<'m>(tasks: &'m mut HashMap<String, Entry>, id: &str) -> Option<&'m mut Entry> {
        if tasks.get(id).is_some_and(|e| e.expires <= Instant::now()) {
            tasks.remove(id);
        }
        tasks.get_mut(id)
    }
}

impl Default for MemoryTaskStore {
    /// At most 10 000 live tasks.
    fn default() -> Self {
        MemoryTaskStore::new(10_000)
    }
}

fn ready<'a, T: Send + 'a>(v: Result<T, StateError>) -> StateFuture<'a, T> {
    Box::pin(std::future::ready(v))
}

impl TaskStore for MemoryTaskStore {
    fn create<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()> {
        let mut tasks = self.lock();
        let now = Instant::now();
        if tasks.len() >= self.max_tasks {
            tasks.retain(|_, e| e.expires > now);
        }
        if tasks.len() >= self.max_tasks {
            return ready(Err(StateError(format!(
                "the server holds {} tasks, as many as it keeps; try again once some expire",
                self.max_tasks
            ))));
        }
        tasks.insert(
            task.id.clone(),
            Entry {
                record: task.clone(),
                expires: now + Duration::from_millis(task.ttl_ms),
                answers: Map::new(),
                cancel: false,
            },
        );
        ready(Ok(()))
    }

    fn save<'a>(&'a self, task: &'a TaskRecord) -> StateFuture<'a, ()> {
        if let Some(e) = Self::live(&mut self.lock(), &task.id) {
            e.record = task.clone();
        }
        ready(Ok(()))
    }

    fn load<'a>(&'a self, id: &'a str) -> StateFuture<'a, Option<TaskRecord>> {
        ready(Ok(
            Self::live(&mut self.lock(), id).map(|e| e.record.clone())
        ))
    }

    fn answer<'a>(&'a self, id: &'a str, responses: Map<String, Value>) -> StateFuture<'a, ()> {
        if let Some(e) = Self::live(&mut self.lock(), id) {
            for (k, v) in responses {
                e.record.input_requests.remove(&k);
                e.answers.insert(k, v);
            }
            if e.record.status == TaskStatus::InputRequired && e.record.input_requests.is_empty() {
                e.record.status = TaskStatus::Working;
            }
        }
        ready(Ok(()))
    }

    fn take_answers<'a>(&'a self, id: &'a str) -> StateFuture<'a, Map<String, Value>> {
        let taken = Self::live(&mut self.lock(), id)
            .map(|e| std::mem::take(&mut e.answers))
            .unwrap_or_default();
        ready(Ok(taken))
    }

    fn request_cancel<'a>(&'a self, id: &'a str) -> StateFuture<'a, ()> {
        if let Some(e) = Self::live(&mut self.lock(), id) {
            e.cancel = true;
        }
        ready(Ok(()))
    }

    fn cancel_requested<'a>(&'a self, id: &'a str) -> StateFuture<'a, bool> {
        ready(Ok(
            Self::live(&mut self.lock(), id).is_some_and(|e| e.cancel)
        ))
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
