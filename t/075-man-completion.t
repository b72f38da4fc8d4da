# upkeepctl(8) and the bash completion come from the command table that
# --help prints (issue 15): every command and option is in all three, the
# page formats without a warning, the completion is valid bash.
use strict;
use warnings;
use Test::More;
use FindBin;

my $ctl = $ENV{TEST_UPKEEP_CTL} || "$FindBin::Bin/../upkeepctl";
my $help = `$ctl --help`;
my $man = `$ctl --man`;
my $comp = `$ctl --bash-completion`;
ok(length $man && length $comp, 'upkeepctl --man and --bash-completion print something');

my @commands = $help =~ /^  ([a-z][a-z-]*)  +\S/mg;
my @options = $help =~ /^  --([a-z-]+)\b/mg;
cmp_ok(scalar @commands, '>=', 10, 'the usage lists the commands');
cmp_ok(scalar @options, '>=', 15, 'the usage lists the options');
for my $c (@commands) {
    (my $roff = $c) =~ s/-/\\-/g;
    like($man, qr/^\.B \Q$roff\E\b/m, "the man page has the command $c");
    like($comp, qr/\b\Q$c\E\b/, "the completion knows the command $c");
}
for my $o (@options) {
    (my $roff = $o) =~ s/-/\\-/g;
    like($man, qr/^\.B \\-\\-\Q$roff\E\b/m, "the man page has --$o");
}
like($man, qr/^\.SH EXIT STATUS/m, 'the man page has the exit status');

SKIP: {
    skip 'groff is not installed (Debian package groff-base)', 1 unless -x '/usr/bin/groff';
    my $warn = `$ctl --man | groff -ww -man -Tutf8 2>&1 >/dev/null`;
    is($warn, '', 'groff -ww formats upkeepctl(8) without a warning');
}
my $tmp = "/tmp/upkeepctl-completion-$$";
open my $fh, '>', $tmp or die; print $fh $comp; close $fh;
is(system('bash', '-n', $tmp), 0, 'the completion is valid bash');
unlink $tmp;
done_testing();
