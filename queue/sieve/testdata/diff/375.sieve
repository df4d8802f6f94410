# 375: string :count of an empty variable is 0
require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if string :count "eq" :comparator "i;ascii-numeric" "${undefined}" "0" { fileinto "Zero"; }
