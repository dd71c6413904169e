-- countif(p) = count(*) FILTER (WHERE p); todouble(a) / b is a real division.
WITH s AS (
    SELECT DeviceName, RemoteIP,
           count(*) FILTER (WHERE ActionType = 'LogonFailed') AS Failed,
           count(*) FILTER (WHERE ActionType = 'LogonSuccess') AS Succeeded,
           count(DISTINCT AccountName) AS Accounts, max(Timestamp) AS LastAttempt
    FROM {DeviceLogonEvents}
    WHERE Timestamp > {now} - INTERVAL 7 DAY AND LogonType IN ('Network', 'RemoteInteractive')
    GROUP BY DeviceName, RemoteIP
)
SELECT DeviceName, RemoteIP, Failed, Succeeded, Accounts, LastAttempt,
       CAST(Failed AS DOUBLE) / (Failed + Succeeded) AS FailureRate
FROM s
WHERE Failed >= 50 AND Failed > Succeeded
