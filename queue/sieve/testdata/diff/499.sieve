# 499: spam rule on X-Spam-Flag and score
require ["fileinto", "imap4flags", "relational", "comparator-i;ascii-numeric"];
if anyof (header :is "x-spam-flag" "YES", header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5") {
	fileinto :flags "\\Seen" "Junk";
	stop;
}
keep;
