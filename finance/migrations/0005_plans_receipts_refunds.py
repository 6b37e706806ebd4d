"""Payment plans, receipts, refunds, transfers and suspensions; ledger sources.

The ledger and contract-terms triggers are lifted around the changes to
their tables (SQLite rebuilds them); receipts are append-only too.
"""
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from finance.triggers import operations as append_only, suspended

LIFTED, RESTORED = suspended(
    [
        ("finance_ledgerentry", "finance_ledger"),
        ("finance_contractterms", "finance_terms"),
    ]
)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_course_hours_enrollment_closed'),
        ('finance', '0004_contract_terms_fixed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        LIFTED,
        migrations.CreateModel(
            name='Instalment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField(verbose_name='number')),
                ('due_date', models.DateField(verbose_name='due date')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='amount (yuan)')),
                ('reminded_at', models.DateTimeField(blank=True, null=True, verbose_name='last reminded')),
            ],
            options={
                'verbose_name': 'instalment',
                'verbose_name_plural': 'instalments',
                'ordering': ['enrollment', 'number'],
            },
        ),
        migrations.CreateModel(
            name='Receipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('number', models.PositiveIntegerField(verbose_name='number')),
                ('method', models.CharField(choices=[('cash', 'Cash'), ('wechat', 'WeChat Pay'), ('alipay', 'Alipay'), ('card', 'Bank card'), ('transfer', 'Bank transfer')], max_length=16, verbose_name='paid by')),
                ('payer', models.CharField(max_length=64, verbose_name='received from')),
                ('issued_at', models.DateTimeField(verbose_name='issued at')),
            ],
            options={
                'verbose_name': 'receipt',
                'verbose_name_plural': 'receipts',
                'ordering': ['-issued_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='RefundRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='reason')),
                ('amount', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12, verbose_name='refundable (yuan)')),
                ('steps', models.JSONField(default=list, verbose_name='computation')),
                ('state', models.CharField(choices=[('pending', 'Waiting for approval'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=16, verbose_name='state')),
                ('requested_at', models.DateTimeField(verbose_name='requested at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.CharField(blank=True, max_length=255, verbose_name='note')),
            ],
            options={
                'verbose_name': 'refund request',
                'verbose_name_plural': 'refund requests',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Suspension',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_on', models.DateField(verbose_name='from')),
                ('ends_on', models.DateField(verbose_name='until')),
                ('reason', models.CharField(max_length=255, verbose_name='reason')),
                ('created_at', models.DateTimeField(verbose_name='at')),
            ],
            options={
                'verbose_name': 'suspension',
                'verbose_name_plural': 'suspensions',
                'ordering': ['enrollment', 'starts_on'],
            },
        ),
        migrations.CreateModel(
            name='Transfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='value moved (yuan)')),
                ('difference', models.DecimalField(decimal_places=2, help_text='Positive: to pay for the new class; negative: refunded.', max_digits=12, verbose_name='difference (yuan)')),
                ('reason', models.CharField(max_length=255, verbose_name='reason')),
                ('created_at', models.DateTimeField(verbose_name='at')),
            ],
            options={
                'verbose_name': 'transfer',
                'verbose_name_plural': 'transfers',
                'ordering': ['-created_at'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='ledgerentry',
            name='ledger_moves_something',
        ),
        migrations.AddField(
            model_name='contractterms',
            name='hours_per_lesson',
            field=models.DecimalField(decimal_places=1, default=Decimal('2.0'), max_digits=4, verbose_name='class hours per lesson'),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='source',
            field=models.CharField(blank=True, max_length=40, verbose_name='source'),
        ),
        migrations.AddField(
            model_name='refundpolicy',
            name='absence_consumes',
            field=models.BooleanField(default=True, help_text='A lesson missed without approved leave counts as consumed.', verbose_name='absence without leave consumes hours'),
        ),
        migrations.AddField(
            model_name='refundpolicy',
            name='is_default',
            field=models.BooleanField(default=False, help_text='Used for the courses that name no policy.', verbose_name='default policy'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='kind',
            field=models.CharField(choices=[('hours_bought', 'Hours bought'), ('payment', 'Payment'), ('consumption', 'Hours consumed'), ('refund', 'Refund'), ('transfer_out', 'Transferred out'), ('transfer_in', 'Transferred in'), ('correction', 'Correction'), ('suspension', 'Suspension')], max_length=16, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(fields=['source'], name='ledger_source_idx'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount', 0), _negated=True), models.Q(('hours', 0), _negated=True), ('kind', 'suspension'), _connector='OR'), name='ledger_moves_something'),
        ),
        migrations.AddConstraint(
            model_name='refundpolicy',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='refund_policy_one_default', violation_error_message='Another policy is the default already.'),
        ),
        migrations.AddField(
            model_name='instalment',
            name='enrollment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='instalments', to='crm.enrollment', verbose_name='enrollment'),
        ),
        migrations.AddField(
            model_name='receipt',
            name='branch',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.branch', verbose_name='campus'),
        ),
        migrations.AddField(
            model_name='receipt',
            name='entry',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='receipt', to='finance.ledgerentry', verbose_name='ledger entry'),
        ),
        migrations.AddField(
            model_name='refundrequest',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by'),
        ),
        migrations.AddField(
            model_name='refundrequest',
            name='enrollment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refund_requests', to='crm.enrollment', verbose_name='enrollment'),
        ),
        migrations.AddField(
            model_name='refundrequest',
            name='requested_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by'),
        ),
        migrations.AddField(
            model_name='suspension',
            name='created_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AddField(
            model_name='suspension',
            name='enrollment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='suspensions', to='crm.enrollment', verbose_name='enrollment'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='created_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='source',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='transfer_out', to='crm.enrollment', verbose_name='from'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='target',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='transfer_in', to='crm.enrollment', verbose_name='to'),
        ),
        migrations.AddIndex(
            model_name='instalment',
            index=models.Index(fields=['due_date'], name='instalment_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.UniqueConstraint(fields=('enrollment', 'number'), name='instalment_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='instalment_amount_positive'),
        ),
        migrations.AddIndex(
            model_name='receipt',
            index=models.Index(fields=['issued_at'], name='receipt_issued_idx'),
        ),
        migrations.AddConstraint(
            model_name='receipt',
            constraint=models.UniqueConstraint(fields=('branch', 'year', 'number'), name='receipt_number_unique'),
        ),
        migrations.AddIndex(
            model_name='refundrequest',
            index=models.Index(fields=['state', 'requested_at'], name='refund_state_idx'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('enrollment',), name='refund_request_one_pending', violation_error_message='This enrollment has a refund request waiting already.'),
        ),
        migrations.AddConstraint(
            model_name='refundrequest',
            constraint=models.CheckConstraint(condition=models.Q(('state', 'pending'), ('decided_at__isnull', False), _connector='OR'), name='refund_request_decided_has_time'),
        ),
        migrations.AddConstraint(
            model_name='suspension',
            constraint=models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='suspension_ends_after_start'),
        ),
        migrations.AlterField(
            model_name='contractterms',
            name='contract_text',
            field=models.TextField(blank=True, verbose_name='contract text'),
        ),
        RESTORED,
        *append_only("finance_receipt", "finance_receipt"),
    ]
