-- The left side has one row per (DeviceId, RemoteIP) after its summarize, and the join is kind=inner, so every
-- matching pair is kept. datetime_diff('minute', a, b) counts minute boundaries from b to a (Kusto's calendar
-- difference): date_diff('minute', b, a). make_set = list(DISTINCT), compared as a set.
WITH FirstLogons AS (
    SELECT DeviceId, DeviceName, RemoteIP, min(Timestamp) AS FirstLogon, list(DISTINCT AccountName) AS Accounts
    FROM {DeviceLogonEvents}
    WHERE Timestamp > {now} - INTERVAL 2 DAY
      AND ActionType = 'LogonSuccess' AND LogonType IN ('Network', 'RemoteInteractive')
    GROUP BY DeviceId, DeviceName, RemoteIP
), Inbound AS (
    SELECT DeviceId, RemoteIP, LocalPort, Timestamp AS InboundAt
    FROM {DeviceNetworkEvents}
    WHERE Timestamp > {now} - INTERVAL 2 DAY AND ActionType = 'InboundConnectionAccepted'
)
SELECT f.DeviceName, f.RemoteIP, i.InboundAt, i.LocalPort, f.FirstLogon,
       date_diff('minute', i.InboundAt, f.FirstLogon) AS MinutesToLogon, f.Accounts
FROM FirstLogons f
JOIN Inbound i ON f.DeviceId = i.DeviceId AND f.RemoteIP = i.RemoteIP
WHERE date_diff('minute', i.InboundAt, f.FirstLogon) BETWEEN 0 AND 30
