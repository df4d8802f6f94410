# 173: string :count counts non-empty strings
require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
set "e" "";
if string :count "eq" :comparator "i;ascii-numeric" ["a", "${e}", "b"] "2" { fileinto "Two"; } else { fileinto "Other"; }
