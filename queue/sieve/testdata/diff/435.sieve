# 435: :value on string with i;ascii-numeric
require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
set "n" "42";
if string :value "gt" :comparator "i;ascii-numeric" "${n}" "9" { fileinto "Bigger"; }
