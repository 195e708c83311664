import ArgumentParser
import Jobs
import Postgres

struct QueuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues", abstract: "List queues; pause and resume them.",
        subcommands: [List.self, Pause.self, Resume.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queues with their counts and pause state.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let queues = try JobQueue().queues(on: database.connect())
            if output.json { return try Output.json(queues) }
            Output.table(["QUEUE", "PAUSED", "AVAILABLE", "RUNNING", "SCHEDULED"], queues.map {
                [$0.name, $0.paused ? "yes" : "no", String($0.available), String($0.running), String($0.scheduled)]
            })
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop workers from claiming a queue's jobs.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The queue.") var name: String
        func run() throws {
            try JobQueue().setPaused(true, queue: name, on: database.connect())
            print("queue \(name) paused")
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let workers claim a paused queue's jobs again.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The queue.") var name: String
        func run() throws {
            try JobQueue().setPaused(false, queue: name, on: database.connect())
            print("queue \(name) resumed")
        }
    }
}

struct WorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "Registered workers: alive, last heartbeat, running jobs.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Seconds without a heartbeat after which a worker counts as dead.") var deadAfter = 10

    func run() throws {
        let workers = try JobQueue().workers(deadAfter: .seconds(deadAfter), on: database.connect())
        if output.json { return try Output.json(workers) }
        Output.table(["ID", "HOST", "PID", "ALIVE", "HEARTBEAT", "RUNNING", "QUEUES"], workers.map {
            [$0.id.uuidString.lowercased(), $0.hostname, String($0.pid), $0.alive ? "yes" : "no", Output.time($0.heartbeatAt), String($0.runningJobs), $0.queues]
        })
    }
}
