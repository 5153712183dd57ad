// Runs aws-kinesis-agg, the aggregation library AWS publishes on npm, for
// aggregation's interoperability test (interop_test.go).
//
//   node interop.js aggregate    stdin: [{partitionKey, explicitHashKey?, data}]
//                                stdout: [{partitionKey, explicitHashKey?, data}], one per Kinesis record
//   node interop.js deaggregate  stdin: [{sequenceNumber, partitionKey, data}]
//                                stdout: [{sequenceNumber, subSequenceNumber, partitionKey, explicitHashKey?, data}]
//
// data is base64 throughout.
'use strict';
const agg = require('aws-kinesis-agg');

function aggregate(userRecords) {
  const out = [];
  const emit = (encoded) => {
    if (!encoded) return;
    out.push({
      partitionKey: encoded.partitionKey,
      explicitHashKey: encoded.ExplicitHashKey,
      data: encoded.data.toString('base64'),
    });
  };
  const aggregator = new agg.RecordAggregator();
  for (const r of userRecords) {
    const record = { partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') };
    if (r.explicitHashKey) record.explicitHashKey = r.explicitHashKey;
    if (!aggregator.checkIfUserRecordFits(record)) emit(aggregator.build());
    aggregator.addUserRecord(record);
  }
  emit(aggregator.build());
  return out;
}

function deaggregate(kinesisRecords) {
  const out = [];
  for (const r of kinesisRecords) {
    agg.deaggregateSync(r, true, (err, userRecords) => {
      if (err) throw err;
      for (const u of userRecords) {
        out.push({
          sequenceNumber: u.sequenceNumber,
          subSequenceNumber: u.subSequenceNumber,
          partitionKey: u.partitionKey,
          explicitHashKey: u.explicitPartitionKey,
          data: u.data,
        });
      }
    });
  }
  return out;
}

const modes = { aggregate, deaggregate };
const mode = modes[process.argv[2]];
if (!mode) {
  console.error('usage: node interop.js aggregate|deaggregate < records.json');
  process.exit(2);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify(mode(JSON.parse(Buffer.concat(chunks).toString('utf8')))));
});
