# 279: ereject and fileinto conflict
require ["ereject", "fileinto"];
fileinto "X";
ereject "no";
