# 172: string test with a list of sources
require ["fileinto", "variables"];
set "a" "one"; set "b" "two";
if string :is ["${a}", "${b}"] "two" { fileinto "Two"; }
