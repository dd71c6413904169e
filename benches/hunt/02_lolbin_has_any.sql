-- has_any matches any list entry as a whole term, case-insensitively: a term is a maximal run of alphanumeric
-- characters, so each needle must sit between non-alphanumeric characters (or the ends of the string). One RE2
-- alternation of the 60 names with those boundaries; '.' is escaped. ORDER BY Executions has ties: multiset check.
SELECT FileName, AccountName, count(*) AS Executions, count(DISTINCT DeviceId) AS Devices,
       min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM {DeviceProcessEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
  AND regexp_matches(ProcessCommandLine,
      '(?i)(^|[^[:alnum:]])(atbroker|bitsadmin|certoc|certreq|certutil|cmdkey|cmdl32|cmstp|conhost|csc|cscript|desktopimgdownldr|dfsvc|diantz|diskshadow|dnscmd|esentutl|eventvwr|expand|extexport|extrac32|findstr|finger|forfiles|ftp|gfxdownloadwrapper|gpscript|ieexec|ilasm|infdefaultinstall|installutil|jsc|makecab|mavinject|microsoft\.workflow\.compiler|mmc|msbuild|msconfig|msdt|mshta|msiexec|netsh|ntdsutil|odbcconf|pcalua|pcwrun|presentationhost|regasm|register-cimprovider|regsvcs|regsvr32|rpcping|rundll32|runonce|schtasks|scriptrunner|syncappvpublishingserver|wmic|wscript|xwizard)([^[:alnum:]]|$)')
GROUP BY FileName, AccountName
ORDER BY Executions DESC
