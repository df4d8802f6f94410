# 386: ereject and vacation conflict
require ["ereject", "vacation"];
vacation "away";
ereject "no";
