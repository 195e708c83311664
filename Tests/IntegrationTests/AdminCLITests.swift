import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// `context0-admin` run as a process with `--database-url`, against a fresh database each.
@Suite struct AdminCLITests {
    @Test func migrateAppliesEveryMigrationOnceThenSaysUpToDate() async throws {
        try await withEmptyDatabase { database in
            let names = try migrationNames()
            let first = try await ChildProcess.admin(database, "migrate")
            #expect(first.status == 0, "stderr: \(first.error)")
            #expect(first.output.trimmingCharacters(in: .whitespacesAndNewlines) == "applied: " + names.joined(separator: ", "))
            let second = try await ChildProcess.admin(database, "migrate")
            #expect(second.status == 0, "stderr: \(second.error)")
            #expect(second.output.contains("up to date"))
            #expect(second.output.contains("\(names.count) migrations"))
        }
    }

    @Test func enqueuedJobIsListedShownAndCounted() async throws {
        try await TestDatabase.with { database, _ in
            let enqueue = try await ChildProcess.admin(database, "jobs", "enqueue", "diagnostic.noop", "--max-attempts", "4", "--json")
            #expect(enqueue.status == 0, "stderr: \(enqueue.error)")
            let id = try #require((try parseJSON(enqueue.output) as? [String: Any])?["id"] as? Int)

            let list = try await ChildProcess.admin(database, "jobs", "list", "--json")
            #expect(list.status == 0, "stderr: \(list.error)")
            let jobs = try #require(try parseJSON(list.output) as? [[String: Any]])
            #expect(jobs.count == 1)
            #expect(jobs.first?["id"] as? Int == id)
            #expect(jobs.first?["kind"] as? String == "diagnostic.noop")
            #expect(jobs.first?["state"] as? String == "available")
            #expect(jobs.first?["queue"] as? String == "default")
            #expect(jobs.first?["max_attempts"] as? Int == 4)
            #expect(jobs.first?["run_at"] is String)

            let filtered = try await ChildProcess.admin(database, "jobs", "list", "--state", "available", "--kind", "diagnostic.noop")
            #expect(filtered.status == 0, "stderr: \(filtered.error)")
            let lines = filtered.output.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID") == true)
            #expect(lines.count == 2)
            #expect(lines.last?.hasPrefix("\(id) ") == true)
            #expect(lines.last?.contains("diagnostic.noop") == true)
            #expect(lines.last?.contains("0/4") == true)
            let none = try await ChildProcess.admin(database, "jobs", "list", "--state", "completed", "--kind", "diagnostic.noop")
            #expect(none.output.split(separator: "\n").count == 1, "only the header: \(none.output)")

            let show = try await ChildProcess.admin(database, "jobs", "show", String(id), "--json")
            #expect(show.status == 0, "stderr: \(show.error)")
            let shown = try #require(try parseJSON(show.output) as? [String: Any])
            #expect(shown["id"] as? Int == id)
            #expect(shown["kind"] as? String == "diagnostic.noop")
            #expect(shown["state"] as? String == "available")
            #expect(shown["attempt"] as? Int == 0)
            #expect((shown["errors"] as? [Any])?.isEmpty == true)
            #expect(shown["created_at"] is String)

            let table = try await ChildProcess.admin(database, "jobs", "show", String(id))
            #expect(table.status == 0, "stderr: \(table.error)")
            #expect(table.output.contains("kind             diagnostic.noop"))
            #expect(table.output.contains("attempt          0 of 4"))
            #expect(table.output.contains("errors (0):"))

            let stats = try await ChildProcess.admin(database, "jobs", "stats", "--json")
            #expect(stats.status == 0, "stderr: \(stats.error)")
            let figures = try #require(try parseJSON(stats.output) as? [String: Any])
            let counts = try #require(figures["counts"] as? [[String: Any]])
            #expect(counts.contains {
                $0["queue"] as? String == "default" && $0["kind"] as? String == "diagnostic.noop"
                    && $0["state"] as? String == "available" && $0["count"] as? Int == 1
            }, "counts: \(counts)")
            #expect(figures["completed_in_window"] as? Int == 0)
            #expect((figures["oldest_waiting"] as? [[String: Any]])?.first?["queue"] as? String == "default")
        }
    }

    @Test func cancelAndRetryMoveAJobToCancelledAndBackToAvailable() async throws {
        try await TestDatabase.with { database, pool in
            let id = try await pool.enqueue("diagnostic.noop")
            let cancel = try await ChildProcess.admin(database, "jobs", "cancel", String(id))
            #expect(cancel.status == 0, "stderr: \(cancel.error)")
            #expect(cancel.output.contains("job \(id) cancelled"))
            #expect(try await pool.job(id).state == .cancelled)

            let again = try await ChildProcess.admin(database, "jobs", "cancel", String(id))
            #expect(again.status == 0, "stderr: \(again.error)")
            #expect(try await pool.job(id).state == .cancelled)

            let retry = try await ChildProcess.admin(database, "jobs", "retry", String(id))
            #expect(retry.status == 0, "stderr: \(retry.error)")
            #expect(retry.output.contains("retried 1 job(s)"))
            let job = try await pool.job(id)
            #expect(job.state == .available)
            #expect(job.finishedAt == nil)
            #expect(job.cancelRequestedAt == nil)

            let notRetryable = try await ChildProcess.admin(database, "jobs", "retry", String(id))
            #expect(notRetryable.status != 0)
            #expect(notRetryable.error.contains("not failed or cancelled"))
        }
    }

    @Test func pruneDeletesOnlyFinishedJobsOlderThanTheGivenAge() async throws {
        try await TestDatabase.with { database, pool in
            let old = try await pool.enqueue("diagnostic.noop")
            let live = try await pool.enqueue("diagnostic.noop")
            try await pool.query("""
                UPDATE jobs SET state = 'completed', finished_at = now() - interval '1 hour' WHERE id = \(old)
                """)
            let young = try await ChildProcess.admin(database, "jobs", "prune", "--older-than", "2h")
            #expect(young.status == 0, "stderr: \(young.error)")
            #expect(young.output.contains("deleted 0 job(s)"))

            let prune = try await ChildProcess.admin(database, "jobs", "prune", "--older-than", "0s")
            #expect(prune.status == 0, "stderr: \(prune.error)")
            #expect(prune.output.contains("deleted 1 job(s)"))
            let remaining = try await pool.query("SELECT id FROM jobs").rows.map { try $0.decode("id", as: Int.self) }
            #expect(remaining == [live])
        }
    }

    @Test func pausedQueueIsListedAsPausedUntilResumed() async throws {
        try await TestDatabase.with { database, pool in
            _ = try await pool.enqueue("diagnostic.noop")
            func defaultQueue() async throws -> [String: Any]? {
                let queues = try await ChildProcess.admin(database, "queues", "--json")
                #expect(queues.status == 0, "stderr: \(queues.error)")
                return (try parseJSON(queues.output) as? [[String: Any]])?.first { $0["name"] as? String == "default" }
            }
            #expect(try await defaultQueue()?["paused"] as? Bool == false)
            #expect(try await defaultQueue()?["available"] as? Int == 1)

            let pause = try await ChildProcess.admin(database, "queues", "pause", "default")
            #expect(pause.status == 0, "stderr: \(pause.error)")
            #expect(pause.output.contains("queue default paused"))
            #expect(try await defaultQueue()?["paused"] as? Bool == true)
            let table = try await ChildProcess.admin(database, "queues")
            #expect(table.output.split(separator: "\n").contains { $0.hasPrefix("default ") && $0.contains("yes") })

            let resume = try await ChildProcess.admin(database, "queues", "resume", "default")
            #expect(resume.status == 0, "stderr: \(resume.error)")
            #expect(try await defaultQueue()?["paused"] as? Bool == false)
        }
    }

    @Test func workersListsARunningWorkerAsAlive() async throws {
        try await TestDatabase.with { database, pool in
            let worker = try await ChildProcess.worker(database, pool: pool)
            defer { worker.stopNow() }
            let result = try await ChildProcess.admin(database, "workers", "--json")
            #expect(result.status == 0, "stderr: \(result.error)")
            let workers = try #require(try parseJSON(result.output) as? [[String: Any]])
            #expect(workers.count == 1)
            #expect(workers.first?["pid"] as? Int == Int(worker.pid))
            #expect(workers.first?["alive"] as? Bool == true)
            #expect(workers.first?["running_jobs"] as? Int == 0)
            #expect((workers.first?["queues"] as? String)?.contains("default") == true)
            #expect(workers.first?["heartbeat_at"] is String)
        }
    }

    @Test func badInvocationsExitNonZeroWithAMessageOnStandardError() async throws {
        try await TestDatabase.with { database, _ in
            let unknown = try await ChildProcess.run("context0-admin", ["jobs", "frobnicate"])
            #expect(unknown.status != 0)
            #expect(unknown.error.contains("frobnicate"), "stderr: \(unknown.error)")

            let badLimit = try await ChildProcess.admin(database, "jobs", "list", "--limit", "0")
            #expect(badLimit.status != 0)
            #expect(badLimit.error.contains("--limit"), "stderr: \(badLimit.error)")

            let missing = try await ChildProcess.admin(database, "jobs", "show", "999999")
            #expect(missing.status == 1)
            #expect(missing.error.contains("no job 999999"), "stderr: \(missing.error)")
            #expect(missing.output.isEmpty)
        }
    }

    @Test func unreachableDatabaseExitsOneSayingSo() async throws {
        let result = try await ChildProcess.run(
            "context0-admin", ["jobs", "list", "--database-url", "postgresql://x:y@127.0.0.1:1/none"])
        #expect(result.status == 1)
        #expect(result.error.contains("cannot reach the database"), "stderr: \(result.error)")
        #expect(!result.error.contains("x:y"), "the URL's password is never printed")
    }
}
