package dev.vmbus.runtime;

import java.util.ArrayList;
import java.util.List;

/** A {@link Timers} whose tasks run only when the test says so (Timers is just a scheduling hook). */
public final class ManualTimers implements Timers {
    static final class Task {
        final long delayMillis;
        final Runnable body;
        boolean cancelled;
        boolean ran;

        Task(long delayMillis, Runnable body) {
            this.delayMillis = delayMillis;
            this.body = body;
        }
    }

    final List<Task> tasks = new ArrayList<>();

    @Override
    public Runnable schedule(long delayMillis, Runnable task) {
        Task t = new Task(delayMillis, task);
        tasks.add(t);
        return () -> t.cancelled = true;
    }

    /** Fires every task that is neither cancelled nor already run, as if its delay had passed. */
    public void fireAll() {
        for (Task t : List.copyOf(tasks)) {
            if (!t.cancelled && !t.ran) {
                t.ran = true;
                t.body.run();
            }
        }
    }

    long live() {
        return tasks.stream().filter(t -> !t.cancelled && !t.ran).count();
    }

    /** The delays of the tasks that are neither cancelled nor run, in the order they were scheduled. */
    public List<Long> liveDelays() {
        return tasks.stream().filter(t -> !t.cancelled && !t.ran).map(t -> t.delayMillis).toList();
    }
}
