-- split(s, " ") = string_split (empty pieces kept, as Kusto keeps them); mv-expand = unnest, one row per element.
-- startswith is case-insensitive, but '-' and '/' have no case.
WITH args AS (
    SELECT FileName, DeviceId, AccountName, unnest(string_split(ProcessCommandLine, ' ')) AS Arg
    FROM {DeviceProcessEvents}
    WHERE Timestamp > {now} - INTERVAL 7 DAY
      AND lower(FileName) IN ('powershell.exe', 'cmd.exe', 'certutil.exe', 'schtasks.exe', 'rundll32.exe',
                              'wmic.exe', 'net.exe')
)
SELECT FileName, lower(Arg) AS Switch, count(*) AS Uses, count(DISTINCT DeviceId) AS Devices,
       count(DISTINCT AccountName) AS Accounts
FROM args
WHERE starts_with(Arg, '-') OR starts_with(Arg, '/')
GROUP BY 1, 2
