// Runs dynalite, an in-memory DynamoDB-compatible server, on 127.0.0.1 at
// a free port, and prints the port on the first line of stdout. It exits
// when its stdin closes, so it never outlives the test that started it.
const dynalite = require('dynalite')

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n')
})
process.stdin.on('end', () => server.close(() => process.exit(0)))
process.stdin.resume()
