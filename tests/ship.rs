//! Physical plans over kqlite's file scans are data: each query's physical plan goes through
//! datafusion-proto bytes (a kqlite scan travels as its table name, projection and partition count; the
//! receiving side has the same files registered) and the decoded plan gives the same rows. This is what a
//! distributed engine (Ballista) ships to its executors.

#![allow(clippy::unwrap_used, clippy::panic)]
use datafusion::common::{not_impl_err, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::bytes::{
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use kqlite::load::{scan_of, DataTable};
use kqlite::{Session, SessionOptions, Source};
use std::path::Path;
use std::sync::Arc;

/// Ships kqlite scans by name over the tables of one session.
#[derive(Debug)]
struct ScanCodec {
    tables: Vec<(String, Arc<dyn datafusion::datasource::TableProvider>)>,
}

impl PhysicalExtensionCodec for ScanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        _inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _conv: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let v: serde_json::Value =
            serde_json::from_slice(buf).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let name = v["table"].as_str().unwrap_or_default();
        let projection: Vec<usize> =
            v["projection"].as_array().into_iter().flatten().filter_map(|x| x.as_u64()).map(|x| x as usize).collect();
        let partitions = v["partitions"].as_u64().unwrap_or(1) as usize;
        match self.tables.iter().find(|(n, _)| n == name).and_then(|(_, t)| t.downcast_ref::<DataTable>()) {
            Some(t) => t.scan_exec(Some(projection), partitions),
            None => not_impl_err!("no table {name} here"),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _conv: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        match scan_of(node.as_ref()) {
            Some((table, projection, partitions)) => {
                let v = serde_json::json!({"table": table, "projection": projection, "partitions": partitions});
                buf.extend_from_slice(v.to_string().as_bytes());
                Ok(())
            }
            None => not_impl_err!("{} is not a kqlite scan", node.name()),
        }
    }
}

fn session() -> Session {
    let mut s = Session::new(SessionOptions {
        now_ns: kqlite::session::parse_now("2025-03-15T00:00:00Z"),
        ..Default::default()
    })
    .unwrap();
    s.add_data(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/incident")).unwrap();
    s
}

#[test]
fn physical_plans_over_file_scans_round_trip_through_bytes() {
    let s = session();
    let tables: Vec<_> = s.catalog().loaded.iter().map(|(n, t)| (n.clone(), t.provider.clone())).collect();
    let codec = ScanCodec { tables };
    let queries = [
        "DeviceNetworkEvents | where RemotePort in (3389, 445) | summarize n = count() by DeviceName, RemotePort | order by n desc, DeviceName asc",
        "DeviceLogonEvents | where ActionType == 'LogonSuccess' | join kind=inner (DeviceNetworkEvents | project DeviceId, RemoteIP) on DeviceId | summarize dcount(RemoteIP) by DeviceName | order by DeviceName asc",
        "DeviceProcessEvents | where ProcessCommandLine has_any ('powershell', 'cmd', 'net') | extend h = extract('([a-z]+)', 1, ProcessCommandLine) | project DeviceName, h | order by DeviceName asc, h asc",
        "union DeviceRegistryEvents, DeviceLogonEvents | summarize count() by bin(Timestamp, 1h) | order by Timestamp asc",
    ];
    let mut scans = 0;
    for q in queries {
        let src = Source::from(q);
        let bound = s.check(&src).unwrap_or_else(|e| panic!("{q}: {e}"));
        let plan = s.executor().physical_plan(bound.plan.clone()).unwrap();
        let bytes =
            physical_plan_to_bytes_with_extension_codec(plan.clone(), &codec).unwrap_or_else(|e| panic!("{q}: {e}"));
        let ctx = s.executor().context().task_ctx();
        let decoded =
            physical_plan_from_bytes_with_extension_codec(&bytes, &ctx, &codec).unwrap_or_else(|e| panic!("{q}: {e}"));
        scans += datafusion::physical_plan::displayable(decoded.as_ref())
            .indent(false)
            .to_string()
            .matches("KqliteScan")
            .count();
        let direct = s.executor().run_physical(plan).unwrap();
        let shipped = s.executor().run_physical(decoded).unwrap();
        let show = |b: &[datafusion::arrow::record_batch::RecordBatch]| -> Vec<Vec<String>> {
            use datafusion::arrow::util::display::array_value_to_string;
            b.iter()
                .flat_map(|b| {
                    (0..b.num_rows()).map(move |r| {
                        b.columns().iter().map(|c| array_value_to_string(c, r).unwrap_or_default()).collect()
                    })
                })
                .collect()
        };
        assert_eq!(show(&shipped), show(&direct), "{q}");
        assert!(direct.iter().map(|b| b.num_rows()).sum::<usize>() > 0, "{q} returns rows");
    }
    assert!(scans >= 5, "the decoded plans scan files ({scans} scans)");
}
