# 023: elsif chain picks the first true branch
require "fileinto";
if header :is "subject" "nope" { fileinto "A"; }
elsif header :contains "subject" "Tuesday" { fileinto "B"; }
elsif true { fileinto "C"; }
else { fileinto "D"; }
