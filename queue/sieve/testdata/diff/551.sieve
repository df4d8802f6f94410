# 551: address list: a bare @domain entry before a valid address
require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if address :all :matches "to" "*" { fileinto "all[${1}]"; }
if address :localpart :matches "to" "*" { fileinto "lp[${1}]"; }
if address :domain :matches "to" "*" { fileinto "dom[${1}]"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "0" { fileinto "n0"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "1" { fileinto "n1"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "n2"; }
if address :count "ge" :comparator "i;ascii-numeric" "to" "3" { fileinto "n3+"; }
