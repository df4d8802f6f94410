# 396: address test on Subject
require "fileinto";
if address :contains "subject" "Tuesday" { fileinto "Addr"; } else { fileinto "No"; }
