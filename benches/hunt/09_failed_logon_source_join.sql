-- join with no kind= is innerunique: the LEFT side is first reduced to one (arbitrary) row per join key, then
-- inner-joined. The query reads only the key from the left, so one row per key is SELECT DISTINCT of the key, and
-- the result does not depend on which left row Kusto keeps. A plain inner join would count each connection once
-- per failed logon instead. datetime_diff('hour', a, b) counts hour boundaries from b to a: date_diff('hour', b, a).
WITH failed AS (
    SELECT DISTINCT DeviceId, RemoteIP
    FROM {DeviceLogonEvents}
    WHERE Timestamp > {now} - INTERVAL 7 DAY AND ActionType = 'LogonFailed'
), conn AS (
    SELECT DeviceId, DeviceName, RemoteIP, RemotePort, Timestamp AS ConnectedAt
    FROM {DeviceNetworkEvents}
    WHERE Timestamp > {now} - INTERVAL 7 DAY AND ActionType IN ('ConnectionSuccess', 'InboundConnectionAccepted')
)
SELECT c.DeviceName, f.RemoteIP, count(*) AS Connections, list(DISTINCT c.RemotePort) AS Ports,
       min(c.ConnectedAt) AS FirstConnection, max(c.ConnectedAt) AS LastConnection,
       date_diff('hour', min(c.ConnectedAt), max(c.ConnectedAt)) AS ActiveHours
FROM failed f
JOIN conn c ON f.DeviceId = c.DeviceId AND f.RemoteIP = c.RemoteIP
GROUP BY c.DeviceName, f.RemoteIP
