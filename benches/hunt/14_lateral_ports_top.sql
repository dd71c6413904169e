-- check: ordered
-- top 100 by Timestamp desc = ORDER BY Timestamp DESC LIMIT 100; Timestamps are unique, so the order is total.
SELECT Timestamp, DeviceName, ActionType, LocalIP, RemoteIP, RemotePort, Protocol,
       InitiatingProcessFileName, InitiatingProcessCommandLine, InitiatingProcessAccountName
FROM {DeviceNetworkEvents}
WHERE RemotePort IN (22, 445, 3389, 5985, 5986)
  AND ActionType IN ('ConnectionSuccess', 'ConnectionRequest', 'InboundConnectionAccepted')
ORDER BY Timestamp DESC
LIMIT 100
