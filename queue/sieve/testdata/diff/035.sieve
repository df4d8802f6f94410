# 035: several ifs accumulate actions
require "fileinto";
if true { fileinto "One"; }
if header :contains "from" "alice" { fileinto "Two"; }
if false { fileinto "Three"; }
